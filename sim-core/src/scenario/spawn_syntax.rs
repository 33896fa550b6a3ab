//! The arguments of `child_process.spawn`, `exec` and `execFile`, checked
//! as node checks them, with the options the model reads: spawn's `stdio`
//! (`'pipe'`, `'inherit'`, `'ignore'`, one `'ipc'` for node) and exec's
//! and execFile's `maxBuffer`. Each error names the value at fault by its
//! line and column. What they do to the machine is `node::spawn`'s
//! business.

use super::ast::Name;
use super::error::{ErrorKind, ScenarioError};
use super::node_syntax::{Js, NodeStmt, NodeValue, Stdio, Via};
use crate::node::JsValue;

/// `(COMMAND[, ARGS][, OPTIONS])` of `child_process.spawn`, checked as
/// node checks them: a command string, an array of strings, an object
/// whose `stdio` is a word or an array of words (at most 3: the model
/// has slots 0 to 2 only, and 'ipc' belongs to fork here); exec's and
/// execFile's options hold `maxBuffer` only, and exec takes no ARGS.
pub(super) fn spawn(js: &mut Js<'_>, child: Name, via: Via) -> Result<NodeStmt, ScenarioError> {
    let wrong = |value: &NodeValue, expected: &str| {
        ScenarioError::new(
            value.pos,
            ErrorKind::Expected {
                expected: expected.into(),
                found: value.text.clone(),
            },
        )
    };
    js.eat("(")?;
    let command = js.value()?;
    match &command.value {
        JsValue::String(s) if !s.is_empty() => {}
        _ => {
            return Err(wrong(
                &command,
                "the command as a non-empty string, such as 'ls'",
            ))
        }
    }
    let mut args = None;
    let mut options = None;
    while js.peek_is(",") {
        js.at += 1;
        let value = js.value()?;
        if via == Via::Exec && (!matches!(value.value, JsValue::Object(_)) || options.is_some()) {
            return Err(wrong(
                &value,
                "the options, such as {maxBuffer: 1024}, or \")\" (exec takes its arguments in the command line)",
            ));
        }
        match (&value.value, &args, &options) {
            (JsValue::Array(items), None, None) => {
                if items.iter().any(|i| !matches!(i, JsValue::String(_))) {
                    return Err(wrong(
                        &value,
                        "the arguments as an array of strings, such as ['-l']",
                    ));
                }
                args = Some(Box::new(value));
            }
            (JsValue::Object(_), _, None) if via.buffers() => {
                if let Err(expected) = buffer_options(&value.value) {
                    return Err(wrong(&value, expected));
                }
                options = Some(Box::new(value));
            }
            (JsValue::Object(o), _, None) => {
                for (key, v) in o.entries() {
                    if key != "stdio" {
                        return Err(wrong(
                            &value,
                            &format!(
                                "options with stdio only (the model reads no option \"{key}\" of spawn())"
                            ),
                        ));
                    }
                    if let Err(expected) = stdio_words(v, NodeStmt::command_of(&command)) {
                        return Err(wrong(&value, expected));
                    }
                }
                options = Some(Box::new(value));
            }
            _ => {
                return Err(wrong(
                    &value,
                    "the arguments (an array of strings) and then the options (an object)",
                ))
            }
        }
    }
    js.eat(")")?;
    Ok(NodeStmt::Spawn {
        via,
        child,
        command,
        args,
        options,
    })
}

/// Checks spawn's `stdio`: a word for all three slots, or an array of up
/// to 3 words, or 4 when the 4th is the channel; at most one 'ipc', and
/// only for node (the child is then a node with a channel, as fork()'s;
/// the model runs no other program that reads a channel). The error says
/// what was expected.
fn stdio_words(stdio: &JsValue, command: &str) -> Result<(), &'static str> {
    let words: Vec<&str> = match stdio {
        JsValue::String(s) if s != "ipc" => vec![s.as_str()],
        JsValue::Array(items) if items.len() <= 4 => items
            .iter()
            .map(|i| match i {
                JsValue::String(s) => s.as_str(),
                _ => "",
            })
            .collect(),
        _ => vec![""],
    };
    if words.iter().any(|w| Stdio::from_word(w).is_none()) {
        return Err("stdio as 'pipe', 'inherit' or 'ignore', or an array of them for fds 0 to 2, with at most one 'ipc' (fd 3 only 'ipc')");
    }
    let ipc = words.iter().filter(|w| **w == "ipc").count();
    if ipc > 1 {
        return Err("stdio with at most one 'ipc' slot (node: \"Child process can have only one IPC pipe\")");
    }
    if words.len() == 4 && words[3] != "ipc" {
        return Err(
            "stdio whose 4th slot (fd 3) is 'ipc', the one the model has beyond fds 0 to 2",
        );
    }
    let node = crate::node::spawn::is_node(command);
    if ipc == 1 && !node {
        return Err("stdio with 'ipc' only for node (spawn('node', ['w.js'], ...)): the model runs no other program that reads a channel");
    }
    Ok(())
}

/// Checks exec's and execFile's options: `maxBuffer` is the one the model
/// reads, a whole number of bytes (node takes any number 0 or more; the
/// model counts bytes). The error says what was expected.
fn buffer_options(options: &JsValue) -> Result<(), &'static str> {
    let JsValue::Object(o) = options else {
        return Err("the options as an object, such as {maxBuffer: 1024}");
    };
    for (key, v) in o.entries() {
        if key != "maxBuffer" {
            return Err("options with maxBuffer only (the model reads no other option of exec() or execFile())");
        }
        if max_buffer_of(v).is_none() {
            return Err(
                "maxBuffer as a whole number of bytes, 0 or more, such as {maxBuffer: 1024}",
            );
        }
    }
    Ok(())
}

/// A maxBuffer value the model takes: a whole number of bytes from 0 to
/// 2^53 (a safe integer).
pub(super) fn max_buffer_of(value: &JsValue) -> Option<u64> {
    match value {
        JsValue::Number(n) if *n >= 0.0 && n.fract() == 0.0 && *n <= 9_007_199_254_740_992.0 => {
            Some(*n as u64)
        }
        _ => None,
    }
}
