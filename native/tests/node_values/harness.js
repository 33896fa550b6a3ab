// Sends values through a real child_process IPC channel, for
// native/tests/node_values.rs. Reads a JSON array of JavaScript expressions
// on stdin; for each serialization mode ('json', 'advanced') forks this
// file as a child and, for each expression, builds the value in a fresh vm
// context (so that no earlier value's object shapes change how V8 holds its
// numbers), calls child.send(value), and records what send() threw or the
// bytes it handed the channel's write (each write of the pipe handle is
// wrapped to copy its data before it goes to libuv). The child answers
// each message it gets with a description of the value, and says whether
// it came as 'message' or as node's 'internalMessage'. Prints one JSON
// object: { node, json: [result...], advanced: [result...] }.
'use strict';
const { fork } = require('child_process');
const vm = require('vm');
const fs = require('fs');

// The same text as describe() in node_values.rs.
function describe(v, root, top) {
  const d = (x) => describe(x, root, false);
  const num = (n) => (Object.is(n, -0) ? '-0' : String(n));
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean': return String(v);
    case 'number': return num(v);
    case 'string': return JSON.stringify(v);
    case 'bigint': return `${v}n`;
    case 'symbol':
    case 'function': return `?${typeof v}`;
  }
  if (v === root && !top) return '[Circular]';
  if (Array.isArray(v)) return `[${v.map(d).join(',')}]`;
  if (Buffer.isBuffer(v)) return `Buffer[${[...v].join(',')}]`;
  if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${d(k)}=>${d(x)}`).join(',')}}`;
  if (v instanceof Set) return `Set{${[...v].map(d).join(',')}}`;
  if (v instanceof Date) return `Date(${num(v.getTime())})`;
  if (v instanceof RegExp) return `RegExp(${JSON.stringify(v.source)},${JSON.stringify(v.flags)})`;
  if (v instanceof Error) {
    const message = Object.hasOwn(v, 'message') ? JSON.stringify(v.message) : '-';
    return `${v.name}(${message},${JSON.stringify(v.stack)})`;
  }
  if (Object.getPrototypeOf(v) === Object.prototype) {
    return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${d(v[k])}`).join(',')}}`;
  }
  return `?${Object.prototype.toString.call(v)}`;
}

if (process.argv[2] === 'child') {
  const reply = (internal) => (m) => process.send({ internal, received: describe(m, m, true) });
  process.on('message', reply(false));
  process.on('internalMessage', reply(true));
  return;
}

// Never hang the test: a stuck run ends with a clear message.
setTimeout(() => {
  console.error('harness.js: no answer from the child within 20 s');
  process.exit(3);
}, 20000).unref();

async function run(mode, exprs) {
  const child = fork(__filename, ['child'], { serialization: mode, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const symbol = Object.getOwnPropertySymbols(child).find((s) => s.description === 'kChannelHandle');
  if (!symbol) throw new Error('this node has no kChannelHandle: the harness is made for node 20');
  const handle = child[symbol];
  let writes = [];
  const writeUtf8String = handle.writeUtf8String;
  const writeBuffer = handle.writeBuffer;
  handle.writeUtf8String = function (req, s, h) {
    writes.push(Buffer.from(s, 'utf8'));
    return writeUtf8String.call(this, req, s, h);
  };
  handle.writeBuffer = function (req, b, h) {
    writes.push(Buffer.from(b));
    return writeBuffer.call(this, req, b, h);
  };
  const replies = [];
  let wake = () => {};
  child.on('message', (m) => {
    replies.push(m);
    wake();
  });
  const results = [];
  for (const expr of exprs) {
    const value = vm.runInNewContext(`(${expr})`, { Buffer });
    writes = [];
    const result = { writes: 0, bytes: '', error: null, internal: null, received: null };
    try {
      child.send(value);
      result.sent = true;
    } catch (e) {
      result.error = { name: e.name, code: e.code === undefined ? null : e.code, message: e.message };
    }
    result.writes = writes.length;
    result.bytes = Buffer.concat(writes).toString('hex');
    results.push(result);
  }
  const sent = results.filter((r) => r.sent);
  while (replies.length < sent.length) await new Promise((resolve) => { wake = resolve; });
  sent.forEach((r, i) => {
    r.internal = replies[i].internal;
    r.received = replies[i].received;
    delete r.sent;
  });
  child.disconnect();
  return results;
}

(async () => {
  const exprs = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = { node: process.version, json: await run('json', exprs), advanced: await run('advanced', exprs) };
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
