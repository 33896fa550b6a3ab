'use strict';
// forkscope check --node: the harness every generated program loads.
//
// It connects to forkscope's control socket (its path in
// FORKSCOPE_NODE_CONTROL, never the IPC channel being measured), says who
// it is, then runs one scenario statement per command and tells every
// event its objects emit, with the arguments, in order. Each line it
// writes is one write(2) on the control fd, so the strace of the run holds
// the 'start' and 'ran' markers around each statement's own system calls.
const net = require('net');
const child_process = require('child_process');
const worker_threads = require('worker_threads');

const name = process.env.FORKSCOPE_NODE_NAME;
const objects = Object.create(null);
// How many arguments each event passes that the model records (a
// message's sendHandle, always undefined here, is left out).
const ARITY = { spawn: 0, message: 1, internalMessage: 1, exit: 2, disconnect: 0, close: 2, error: 1, online: 0, end: 0 };
// The typed arrays this isolate holds, by the scenario's names.
const vars = Object.create(null);
// A typed array posted (or given as workerData) travels wrapped with its
// name, so that the receiver holds it under the same name, as the model
// does; structured clone copies, shares or transfers it all the same.
const ARRAY = '__forkscope_array';
function wrapped(a) {
  return a !== null && typeof a === 'object' && ARRAY in a;
}

let control = null;
function say(msg) {
  control.write(JSON.stringify(msg) + '\n');
}

function arg(event, a) {
  if (a === undefined) return 'undefined';
  // A typed array is told by its kind and length, as the model tells it.
  if (wrapped(a)) return JSON.stringify(a.value.constructor.name + '(' + a.value.length + ')');
  // An Error does not survive JSON.stringify: its code (or message) does.
  if (event === 'error' && a instanceof Error) return JSON.stringify(a.code || a.message);
  // An advanced-mode message may hold what JSON cannot say (a BigInt):
  // the model says the TypeError in parentheses too.
  try {
    return JSON.stringify(a);
  } catch (e) {
    return '(' + String(e) + ')';
  }
}

function watch(object, emitter, events) {
  for (const event of events) {
    emitter.on(event, (...args) => {
      say({ event, object, args: args.slice(0, ARITY[event]).map((a) => arg(event, a)) });
    });
  }
}

// A spawned child's stdout and stderr, as CHILD.stdout and CHILD.stderr:
// 'data' with each chunk as a string (one read of the loop each, as the
// model's), and 'end'. The listener makes the stream flow, as the model
// has it.
function watchStreams(child, object) {
  for (const stream of ['stdout', 'stderr']) {
    const s = object[stream];
    if (!s) continue;
    const name = child + '.' + stream;
    s.on('data', (chunk) => say({ event: 'data', object: name, args: [JSON.stringify(chunk.toString())] }));
    watch(name, s, ['end']);
  }
}

// The fds of every IPC channel this process holds, for the strace reader.
function channelFds() {
  const fds = [];
  if (process.channel && Number.isInteger(process.channel.fd)) fds.push(process.channel.fd);
  for (const child of Object.values(objects)) {
    if (child.channel && Number.isInteger(child.channel.fd)) fds.push(child.channel.fd);
  }
  return fds;
}

// A forked child listens to its own process object from the start, so a
// message that arrives before any command is still seen.
if (typeof process.send === 'function') {
  watch('process', process, ['message', 'internalMessage', 'disconnect', 'error']);
}

exports.fork = function fork(module, child, options) {
  // The child learns its scenario name from its environment (several
  // children may run one module); fork() copies process.env as it is now.
  process.env.FORKSCOPE_NODE_NAME = child;
  try {
    objects[child] = child_process.fork(module, options);
  } finally {
    process.env.FORKSCOPE_NODE_NAME = name;
  }
  watch(child, objects[child], [
    'spawn', 'message', 'internalMessage', 'exit', 'disconnect', 'close', 'error',
  ]);
};

// A spawned program runs as itself (no harness): its object's events are
// watched here, 'error' included (ENOENT is emitted on the next tick, after
// these listeners are on).
exports.spawn = function spawn(command, args, options, child) {
  objects[child] = child_process.spawn(command, args, options);
  watch(child, objects[child], ['spawn', 'exit', 'close', 'error']);
  watchStreams(child, objects[child]);
};

// spawn() of node with an 'ipc' slot: a node child with a channel, as
// fork()'s, which learns its scenario name as a forked child does.
exports.spawnNode = function spawnNode(command, args, options, child) {
  process.env.FORKSCOPE_NODE_NAME = child;
  try {
    objects[child] = child_process.spawn(command, args, options);
  } finally {
    process.env.FORKSCOPE_NODE_NAME = name;
  }
  watch(child, objects[child], [
    'spawn', 'message', 'internalMessage', 'exit', 'disconnect', 'close', 'error',
  ]);
  watchStreams(child, objects[child]);
};

// exec and execFile: their callback told as a 'callback' event, (error,
// stdout, stderr), the error as its code (or its signal when the code is
// null: a killed child), as the model tells it. Past maxBuffer the error is
// a RangeError whose code is ERR_CHILD_PROCESS_STDIO_MAXBUFFER.
exports.exec = function exec(via, command, args, options, child) {
  const callback = (err, stdout, stderr) => {
    const error = err ? JSON.stringify(err.code ?? err.signal ?? null) : 'null';
    say({ event: 'callback', object: child, args: [error, JSON.stringify(stdout), JSON.stringify(stderr)] });
  };
  objects[child] = via === 'exec'
    ? child_process.exec(command, options, callback)
    : child_process.execFile(command, args, options, callback);
  watch(child, objects[child], ['spawn', 'exit', 'close', 'error']);
};

exports.objects = objects;
exports.vars = vars;

// Keep a typed array that arrives, under its name.
function keep(emitter) {
  emitter.on('message', (m) => {
    if (wrapped(m)) vars[m[ARRAY]] = m.value;
  });
}

// A worker thread: workerData and its parentPort's messages.
if (!worker_threads.isMainThread) {
  const { parentPort, workerData } = worker_threads;
  if (wrapped(workerData)) vars[workerData[ARRAY]] = workerData.value;
  keep(parentPort);
  watch('parentPort', parentPort, ['message']);
}

exports.worker = function worker(module, w, data) {
  // As for fork(): the worker's process.env is a copy of this one's now.
  process.env.FORKSCOPE_NODE_NAME = w;
  try {
    const options = data === null ? {} : { workerData: { [ARRAY]: data, value: vars[data] } };
    objects[w] = new worker_threads.Worker(module, options);
  } finally {
    process.env.FORKSCOPE_NODE_NAME = name;
  }
  keep(objects[w]);
  watch(w, objects[w], ['online', 'message', 'error']);
};

exports.post = function post(target, array, transfer) {
  const value = vars[array];
  target.postMessage({ [ARRAY]: array, value }, transfer ? [value.buffer] : []);
};

exports.parentPort = () => worker_threads.parentPort;

// What an `expect P value ...` reads, in this isolate: an element of a
// typed array it holds (a plain load, as a script would write it) or its
// byteLength. A number goes as JSON, or as its text when JSON has none
// (NaN, Infinity); undefined as null; an array this isolate does not hold
// as known: false.
function read(command) {
  const array = vars[command.array];
  if (array === undefined) return { read: command.read, known: false, value: null };
  const v = command.index === null ? array.byteLength : array[command.index];
  const value = typeof v !== 'number' ? null : Number.isFinite(v) ? v : String(v);
  return { read: command.read, known: true, value };
}

exports.run = function run(programs) {
  const statements = programs[name] || {};
  control = net.createConnection(process.env.FORKSCOPE_NODE_CONTROL, () => {
    say({ hello: name, pid: process.pid, fd: control._handle.fd });
  });
  let buffered = '';
  control.setEncoding('utf8');
  control.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const command = JSON.parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      if ('sync' in command) {
        // Answered after the loop's poll phase: what the loop had to read
        // when the barrier came (the signal pipe a failed spawn's SIGCHLD
        // handler wrote) is read first, and so counted in this
        // statement's window, not left to a race with the answer.
        const sync = command.sync;
        setImmediate(() => say({ synced: sync }));
        continue;
      }
      if ('read' in command) {
        say(read(command));
        continue;
      }
      const n = command.run;
      say({ start: n, fds: channelFds() });
      let threw = null;
      try {
        statements[n]();
      } catch (e) {
        threw = String(e && e.code ? e.code + ': ' + e.message : e);
      }
      say({ ran: n, fds: channelFds(), threw });
    }
  });
  // forkscope gone: nothing of the run outlives it.
  control.on('close', () => process.exit(0));
  control.on('error', () => process.exit(0));
};
