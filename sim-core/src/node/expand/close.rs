//! The steps that close an IPC channel: a `disconnect()` from either
//! side, the end of file a child reads when its parent disconnected or
//! died (the child goes on, adopted by init), and the parent's read of a
//! dead or disconnected child's end of file. Part of the expansion
//! (`expand.rs`), whose plan it adds to.

use super::{child_channel, Effect, Guard, Plan, Why, CHANNEL_READ};
use crate::ipc::end_name::Which;
use crate::ipc::socket::Side;
use crate::scenario::ast::{Name, Op};
use crate::scenario::node_syntax::{NodeObject, PROCESS_OBJECT};
use crate::scenario::{ErrorKind, ScenarioError};
use crate::world::World;
use std::sync::Arc;

/// The parent's loop reads the end of file of `child`'s channel (its
/// end closed: the child died or disconnected) and closes its own end:
/// 'disconnect', and 'close' if 'exit' came already.
pub(super) fn read_eof_and_close(plan: &mut Plan, parent: &str, child: &str, chan: &Arc<str>) {
    let end = plan.end(chan, Which::Sock(Side::Zero));
    plan.op(
        parent,
        Op::Recv {
            end,
            max: CHANNEL_READ,
            nonblock: false,
        },
        Why::ReadEof,
        Effect::Read {
            process: parent.into(),
            object: child.into(),
            channel: chan.clone(),
            side: Side::Zero.index(),
        },
    );
    let end = plan.end(chan, Which::Sock(Side::Zero));
    plan.op(
        parent,
        Op::Close { end },
        Why::CloseChannel,
        Effect::Closed {
            parent: parent.into(),
            child: child.into(),
        },
    );
}

/// `child` (a node child whose channel is open at its end) reads the end
/// of file of a parent that closed its end or died, and closes its own
/// (not a channel on its fd 0 to 2, which libuv never closes): its
/// `process` emits 'disconnect'.
fn child_reads_eof(world: &World, plan: &mut Plan, child: &str, chan: &Arc<str>) {
    let end = plan.end(chan, Which::Sock(Side::One));
    plan.op(
        child,
        Op::Recv {
            end,
            max: CHANNEL_READ,
            nonblock: false,
        },
        Why::ReadParentEof,
        Effect::Read {
            process: child.into(),
            object: PROCESS_OBJECT.into(),
            channel: chan.clone(),
            side: Side::One.index(),
        },
    );
    let gone = Effect::ParentGone {
        child: child.into(),
    };
    if on_stdio(world, child) {
        plan.alone_with(Why::KeepStdioChannel, gone);
        return;
    }
    let end = plan.end(chan, Which::Sock(Side::One));
    plan.op(child, Op::Close { end }, Why::CloseParentChannel, gone);
}

/// Whether `name`'s channel is its fd 0, 1 or 2 (`NodeProc::channel_on_stdio`).
fn on_stdio(world: &World, name: &str) -> bool {
    world.node().proc(name).is_some_and(|p| p.channel_on_stdio)
}

/// Whether `name` is alive and runs node with its channel to its parent
/// still open at its end.
fn listens_to_parent(world: &World, name: &str) -> bool {
    let alive = world
        .pid_of(name)
        .is_some_and(|pid| !world.proc(pid).state.is_dead());
    alive && world.node().proc(name).is_some_and(|p| p.parent_connected)
}

/// What each node child of `parent` does once `parent` has died: the
/// parent's end of their channel closed as it died, so each child's loop
/// reads end of file and closes its end ('disconnect' on its `process`).
/// The child is not killed: it goes on, reparented to init (NODE-FACTS).
pub(super) fn orphaned(world: &World, plan: &mut Plan, parent: &str) {
    let Some(node) = world.node().proc(parent) else {
        return;
    };
    let mut children: Vec<_> = node
        .children
        .iter()
        .filter(|(name, c)| c.connected && listens_to_parent(world, name))
        .collect();
    crate::sort::sort_by_key(&mut children, |(_, c)| c.order);
    for (name, c) in children {
        let first = plan.steps.len();
        if let Some(channel) = &c.channel {
            child_reads_eof(world, plan, name, channel);
        }
        for step in &mut plan.steps[first..] {
            step.guard = Guard::Dead(parent.into());
        }
    }
}

/// `CHILD.disconnect()` or `process.disconnect()` in `actor`: it closes
/// its end of the channel and emits 'disconnect'; the other side's loop
/// reads the end of file, closes its end and emits 'disconnect' too. On a
/// channel already closed, node emits 'error' (ERR_IPC_DISCONNECTED).
pub(super) fn disconnect(
    world: &World,
    plan: &mut Plan,
    actor: &Name,
    on: &NodeObject,
) -> Result<(), ScenarioError> {
    let me = actor.text.as_str();
    match on {
        NodeObject::Child { name } => {
            let chan = child_channel(world, actor, name)?;
            let connected = world
                .node()
                .proc(me)
                .and_then(|p| p.children.get(name.text.as_str()))
                .is_some_and(|c| c.connected);
            if !connected {
                plan.alone_with(
                    Why::AlreadyDisconnected,
                    Effect::Error {
                        process: me.into(),
                        object: name.text.as_str().into(),
                        code: "ERR_IPC_DISCONNECTED",
                    },
                );
                return Ok(());
            }
            let end = plan.end(&chan, Which::Sock(Side::Zero));
            plan.op(
                me,
                Op::Close { end },
                Why::Disconnect,
                Effect::Disconnected {
                    parent: me.into(),
                    child: name.text.as_str().into(),
                },
            );
            if listens_to_parent(world, &name.text) {
                child_reads_eof(world, plan, &name.text, &chan);
            }
        }
        NodeObject::Process | NodeObject::ParentPort => {
            let proc = world.node().proc(me);
            let Some(chan) = proc.and_then(|p| p.parent_channel.clone()) else {
                return Err(ScenarioError::new(
                    actor.pos,
                    ErrorKind::NoParentChannel {
                        process: actor.text.clone(),
                    },
                ));
            };
            if !proc.is_some_and(|p| p.parent_connected) {
                plan.alone_with(
                    Why::AlreadyDisconnected,
                    Effect::Error {
                        process: me.into(),
                        object: PROCESS_OBJECT.into(),
                        code: "ERR_IPC_DISCONNECTED",
                    },
                );
                return Ok(());
            }
            // On fd 0 to 2 nothing closes: the parent reads no end of
            // file until this child dies (after_death reads it then).
            if on_stdio(world, me) {
                plan.alone_with(
                    Why::KeepStdioChannel,
                    Effect::ParentGone { child: me.into() },
                );
                return Ok(());
            }
            let end = plan.end(&chan, Which::Sock(Side::One));
            plan.op(
                me,
                Op::Close { end },
                Why::Disconnect,
                Effect::ParentGone { child: me.into() },
            );
            // The parent's loop, if it runs node and is alive, reads the
            // end of file.
            let Some(pid) = world.pid_of(me) else {
                return Ok(());
            };
            let parent_pid = world.proc(pid).parent;
            let parent = world.name_of(parent_pid).to_string();
            let open = world
                .node()
                .proc(&parent)
                .and_then(|p| p.children.get(me))
                .is_some_and(|c| c.connected);
            if open && !world.proc(parent_pid).state.is_dead() {
                read_eof_and_close(plan, &parent, me, &chan);
            }
        }
    }
    Ok(())
}
