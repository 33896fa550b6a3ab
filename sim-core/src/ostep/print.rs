//! fork.py's tree drawings: `basic` (indented names), `line1`, `line2`
//! and `fancy` (box-drawing lines after the treelib package), each line
//! after 31 spaces, exactly as its recursive `walk` writes them, with the
//! same end when the recursion goes too deep or meets an exited entry.
//!
//! fork.py's style characters for `line1`, `line2` and `fancy` are, in
//! order: the vertical that continues, the horizontal, the branch to a
//! child with siblings after it, the branch to the last child.

use super::model::{recursion_error, Slot, Stop, Tree};
use super::names::{Id, Names};

/// Where the printed text goes.
pub trait Sink {
    /// Writes `text` as it is.
    fn text(&mut self, text: &str);
}

impl Sink for String {
    fn text(&mut self, text: &str) {
        self.push_str(text);
    }
}

/// What ends a run early, besides a Python exception: fork.py's own
/// `exit(1)` after a message it printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// fork.py printed a message and called `exit(1)`.
    Exit1,
    /// fork.py died of a Python error, or would never end.
    Stop(Stop),
}

/// The margin before every tree line.
const MARGIN: &str = "                               ";

/// The deepest level fork.py's `walk` prints at: one level more and
/// Python 3.11's recursion limit (1000 frames, fork.py's three above the
/// walk) stops it before the line's margin.
const DEEPEST_LEVEL: usize = 994;

/// The characters of a line style, or `None` for `basic`.
fn style_chars(style: &str) -> Option<Option<[char; 4]>> {
    match style {
        "basic" => Some(None),
        "line1" => Some(Some(['|', '-', '+', '|'])),
        "line2" => Some(Some(['|', '_', '|', '|'])),
        "fancy" => Some(Some(['\u{2502}', '\u{2500}', '\u{251c}', '\u{2514}'])),
        _ => None,
    }
}

/// A call of fork.py's walk still to make, or the rest of one under way.
enum Work {
    Visit {
        node: Id,
        level: usize,
        is_last: bool,
    },
    /// The children of a node still to walk: the cursor is the next one.
    Children {
        level: usize,
        next: Vec<Id>,
        at: usize,
    },
}

/// fork.py's `print_tree`: the tree from the root, in `style`.
pub fn print_tree(tree: &Tree, names: &Names, style: &str, out: &mut dyn Sink) -> Result<(), End> {
    let Some(chars) = style_chars(style) else {
        out.text(MARGIN);
        out.text(&format!("bad style {style}\n"));
        return Err(End::Exit1);
    };
    // fork.py's pmask: one dictionary shared by the whole walk.
    let mut pmask: Vec<bool> = Vec::new();
    let mut work = vec![Work::Visit {
        node: tree.root,
        level: 0,
        is_last: false,
    }];
    let mut line = String::new();
    while let Some(item) = work.pop() {
        match item {
            Work::Visit {
                node,
                level,
                is_last,
            } => {
                if level > DEEPEST_LEVEL {
                    return Err(End::Stop(recursion_error("while calling a Python object")));
                }
                line.clear();
                line.push_str(MARGIN);
                let name = names.name(node);
                match chars {
                    None => {
                        for _ in 0..level {
                            line.push_str("   ");
                        }
                        // '%2s': right-aligned in two characters.
                        for _ in name.chars().count()..2 {
                            line.push(' ');
                        }
                        line.push_str(name);
                    }
                    Some(c) => {
                        if level > 0 {
                            for mask in &pmask[..level - 1] {
                                if *mask {
                                    line.push(c[0]);
                                    line.push_str("   ");
                                } else {
                                    line.push_str("    ");
                                }
                            }
                            if pmask[level - 1] {
                                line.push(if is_last { c[3] } else { c[2] });
                                line.push(c[1]);
                                line.push(c[1]);
                            } else {
                                line.push(' ');
                                line.push(c[1]);
                                line.push(c[1]);
                                line.push(c[1]);
                            }
                            line.push(' ');
                        }
                        line.push_str(name);
                    }
                }
                line.push('\n');
                out.text(&line);
                if chars.is_some() {
                    if is_last {
                        pmask[level - 1] = false;
                    }
                    if pmask.len() <= level {
                        pmask.resize(level + 1, false);
                    }
                    pmask[level] = true;
                }
                match tree.list_state(node) {
                    Slot::Live => {}
                    _ => {
                        return Err(End::Stop(Stop::Exception {
                            kind: "TypeError",
                            detail: "'int' object is not subscriptable".into(),
                        }))
                    }
                }
                let kids: Vec<Id> = tree.children(node).collect();
                if !kids.is_empty() {
                    work.push(Work::Children {
                        level: level + 1,
                        next: kids,
                        at: 0,
                    });
                }
            }
            Work::Children { level, next, at } => {
                let node = next[at];
                let is_last = chars.is_some() && at + 1 == next.len();
                if at + 1 < next.len() {
                    work.push(Work::Children {
                        level,
                        next,
                        at: at + 1,
                    });
                }
                work.push(Work::Visit {
                    node,
                    level,
                    is_last,
                });
            }
        }
    }
    Ok(())
}
