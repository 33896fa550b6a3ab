//! A panic never leaves a blank page: the hook writes what happened and
//! how to recover over the app, and to the console.

use wasm_bindgen::JsCast;

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        gloo::console::error!(format!("Forkscope stopped: {message}"));
        show(&message);
    }));
}

/// Replace the page with a message a learner can act on. The draft is in
/// localStorage already (saved on every edit), so a reload loses nothing.
fn show(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else { return };
    let Ok(panel) = document.create_element("section") else {
        return;
    };
    panel.set_class_name("crash");
    panel.set_attribute("role", "alert").ok();
    let mut escaped = String::new();
    crate::escape::escape(message, &mut escaped);
    panel.set_inner_html(&format!(
        "<h1>Forkscope stopped</h1>\
         <p>Something inside the simulator went wrong, and it stopped rather than show a wrong machine.</p>\
         <p><strong>Your scenario text is safe:</strong> it is saved in this browser and comes back when you reload.</p>\
         <p><button type=\"button\" onclick=\"location.reload()\">Reload</button> \
         or <a href=\"?\">open the first lesson</a>.</p>\
         <details><summary>What happened (for a bug report)</summary><pre>{}</pre></details>",
        escaped
    ));
    body.set_inner_html("");
    if let Some(panel) = panel.dyn_ref::<web_sys::Node>() {
        body.append_child(panel).ok();
    }
}
