//! The browser app. Until the web issue lands this only proves that the
//! model links into a binary for every target the app will be built for.

fn main() {
    let lessons = sim_core::lessons::all();
    println!("{} lessons are built in; the web app is coming.", lessons.len());
}
