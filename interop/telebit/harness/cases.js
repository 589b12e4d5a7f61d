'use strict';
// The public clients of the interop cases, run inside the test's network namespace once the server side
// (mproxy's gateway or telebit's relay) and the device side (telebit's device or mproxy's connector) are up.
// Node 10, core modules only. Every case compares bytes: the SHA-256 of what one end sent with what the
// other end got, as the client sees it or as services.js recorded it.
//
//   node cases.js CONFIG.json
//
// Writes one line per case to config.results: CASE <TAB> EXPECTED <TAB> RECEIVED <TAB> PASS|FAIL|KNOWN
// <TAB> DETAIL. KNOWN is a case that fails because of a bug of telebit's own, named in the detail.

var net = require('net');
var tls = require('tls');
var fs = require('fs');
var crypto = require('crypto');
var childProcess = require('child_process');

var config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
var ca = fs.readFileSync(config.ca);
var MB = 1024 * 1024;
var CASE_TIMEOUT = 90 * 1000;

function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

function short(hex) {
  return hex ? 'sha256:' + hex.slice(0, 16) : '-';
}

/** Random bytes whose first byte is 0: telebit's relay judges a dynamic port's first bytes as TLS or HTTP. */
function payload(size) {
  var b = crypto.randomBytes(size);
  b[0] = 0;
  return b;
}

function report(name, expected, received, status, detail) {
  var line = [config.direction + ' ' + name, expected, received, status, (detail || '').replace(/\s+/g, ' ')]
    .join('\t');
  fs.appendFileSync(config.results, line + '\n');
  console.log(line);
}

function delay(ms) {
  return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

function withTimeout(promise, ms, what) {
  return Promise.race([promise, delay(ms).then(function () {
    throw new Error(what + ' did not finish within ' + (ms / 1000) + ' s');
  })]);
}

/** The lines services.js wrote for {@code service} since line {@code from}. */
function serviceLines(service, from) {
  var lines = fs.existsSync(config.servicesLog)
    ? fs.readFileSync(config.servicesLog, 'utf8').split('\n').filter(Boolean).map(JSON.parse) : [];
  return lines.slice(from || 0).filter(function (l) { return l.service === service; });
}

function serviceLineCount() {
  return fs.existsSync(config.servicesLog)
    ? fs.readFileSync(config.servicesLog, 'utf8').split('\n').filter(Boolean).length : 0;
}

async function waitFor(what, ms, check) {
  var until = Date.now() + ms;
  for (;;) {
    var value = check();
    if (value) { return value; }
    if (Date.now() > until) { throw new Error('no ' + what + ' within ' + (ms / 1000) + ' s'); }
    await delay(100);
  }
}

function connectTcp(port) {
  return new Promise(function (resolve, reject) {
    var s = net.connect({ host: config.publicHost, port: port }, function () { resolve(s); });
    s.once('error', reject);
  });
}

function connectTls(port, servername) {
  return new Promise(function (resolve, reject) {
    var s = tls.connect({ host: config.publicHost, port: port, servername: servername, ca: ca }, function () {
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Sends {@code data}, reads back as many bytes, then closes; resolves with what came back. */
function echoOver(socket, data) {
  return new Promise(function (resolve, reject) {
    var hash = crypto.createHash('sha256');
    var got = 0;
    socket.on('data', function (chunk) {
      hash.update(chunk);
      got += chunk.length;
      if (got >= data.length) {
        socket.end();
        resolve({ bytes: got, sha256: hash.digest('hex') });
      }
    });
    socket.on('error', reject);
    socket.on('close', function () {
      if (got < data.length) {
        reject(new Error('closed after ' + got + ' of ' + data.length + ' bytes'));
      }
    });
    socket.write(data);
  });
}

/** Reads until the other side closes; resolves with what came. */
function readAll(socket) {
  return new Promise(function (resolve, reject) {
    var hash = crypto.createHash('sha256');
    var got = 0;
    socket.on('data', function (chunk) { hash.update(chunk); got += chunk.length; });
    socket.on('end', function () { resolve({ bytes: got, sha256: hash.digest('hex') }); });
    socket.on('error', reject);
  });
}

function closed(socket) {
  return new Promise(function (resolve) {
    if (socket.destroyed) { resolve(); return; }
    socket.on('close', function () { resolve(); });
  });
}

async function tcpEcho() {
  var data = payload(5 * MB);
  var back = await echoOver(await connectTcp(config.ports.echo), data);
  return [short(sha256(data)), short(back.sha256), back.sha256 === sha256(data), back.bytes + ' bytes back'];
}

async function tlsBySni() {
  var data = payload(5 * MB);
  var back = await echoOver(await connectTls(config.tlsPort, config.appName), data);
  return [short(sha256(data)), short(back.sha256), back.sha256 === sha256(data),
    back.bytes + ' bytes back through TLS for ' + config.appName + ' (certificate checked against the test CA)'];
}

function httpRequest(head, body) {
  return new Promise(function (resolve, reject) {
    var s = net.connect({ host: config.publicHost, port: config.httpPort }, function () {
      s.write(head);
      if (body) { s.write(body); }
    });
    var chunks = [];
    s.on('data', function (c) { chunks.push(c); });
    s.on('end', function () { resolve(Buffer.concat(chunks)); });
    s.on('error', reject);
  });
}

function parseResponse(raw) {
  var split = raw.indexOf('\r\n\r\n');
  var head = raw.slice(0, split).toString('latin1');
  var headers = {};
  head.split('\r\n').slice(1).forEach(function (line) {
    var colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  });
  return { status: head.split(' ')[1], headers: headers, body: raw.slice(split + 4) };
}

async function httpByHost() {
  if (config.http.mode === 'redirect') {
    // telebit's device answers plain HTTP itself: a redirect to https for the same host and path
    var path = '/interop/check?case=http-by-host';
    // (a browser gets a 301 from telebit's redirect-https, other clients a page with a meta refresh)
    var response = parseResponse(await httpRequest('GET ' + path + ' HTTP/1.1\r\nHost: ' + config.appName
      + '\r\nUser-Agent: Mozilla/5.0 (mproxy interop)\r\nConnection: close\r\n\r\n'));
    var expected = '301 https://' + config.appName + path;
    var received = response.status + ' ' + response.headers.location;
    return [expected, received, expected === received, 'answered by the device for Host ' + config.appName];
  }
  // telebit's relay passes to the device only requests for /.well-known/ paths (the device's ACME)
  var data = payload(MB);
  var raw = await httpRequest('POST /.well-known/interop/echo HTTP/1.1\r\nHost: ' + config.appName
    + '\r\nContent-Length: ' + data.length + '\r\nConnection: close\r\n\r\n', data);
  var r = parseResponse(raw);
  return [short(sha256(data)), short(sha256(r.body)), r.status === '200' && sha256(r.body) === sha256(data),
    'HTTP ' + r.status + ', ' + r.body.length + ' body bytes echoed by the local service for Host ' + config.appName];
}

async function uploadAndClose(service, port, size) {
  var from = serviceLineCount();
  var data = payload(size);
  var s = await connectTcp(port);
  s.on('error', function () {});
  s.end(data); // sends, then closes at once
  var line = (await waitFor(service + ' record', 60 * 1000, function () {
    return serviceLines(service, from)[0];
  }));
  return [short(sha256(data)), short(line.sha256), line.sha256 === sha256(data),
    line.bytes + ' of ' + data.length + ' bytes reached the ' + service + (line.ended ? ', then its end' : ', no end')];
}

async function serviceCloses() {
  var from = serviceLineCount();
  var got = await readAll(await connectTcp(config.ports.sender));
  var sent = await waitFor('sender record', 10 * 1000, function () { return serviceLines('sender', from)[0]; });
  return [short(sent.sha256), short(got.sha256), got.sha256 === sent.sha256,
    got.bytes + ' of ' + sent.bytes + ' bytes the service sent before closing, then the end'];
}

async function parallel() {
  var n = 20;
  var results = await Promise.all(Array.apply(null, Array(n)).map(async function () {
    var data = payload(256 * 1024);
    var back = await echoOver(await connectTcp(config.ports.echo), data);
    return back.sha256 === sha256(data);
  }));
  var intact = results.filter(Boolean).length;
  return [n + '/' + n + ' intact', intact + '/' + n + ' intact', intact === n, '20 streams of 256 KiB echoed at once'];
}

function pidOf(file) {
  return parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
}

/** A held connection through the tunnel whose echo works: the starting point of the kill cases. */
async function heldConnection() {
  var s = await connectTcp(config.ports.holder);
  s.on('error', function () {});
  var ping = Buffer.from('\u0000ping');
  await new Promise(function (resolve, reject) {
    s.once('data', resolve);
    s.write(ping);
    setTimeout(function () { reject(new Error('no echo on the held connection')); }, 10000);
  });
  return s;
}

/** Whether the process runs: a zombie (killed, not yet reaped by its parent) does not. */
function alive(pidFile) {
  try {
    // /proc is this run's own (unshare --pid --mount-proc); field 3 of stat is the state
    var stat = fs.readFileSync('/proc/' + pidOf(pidFile) + '/stat', 'utf8');
    var state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch (e) {
    return false;
  }
}

function start(command) {
  childProcess.spawn('bash', ['-c', command], { stdio: 'ignore', detached: true }).unref();
}

async function killServer() {
  var from = serviceLineCount();
  var s = await heldConnection();
  var killedAt = Date.now();
  process.kill(pidOf(config.server.pidFile), 'SIGKILL');
  var line = await waitFor('holder close', 30 * 1000, function () { return serviceLines('holder', from)[0]; })
    .catch(function () { return null; });
  s.destroy();
  var took = line ? line.closed - killedAt : null;
  return ['local connection closed', line ? 'closed after ' + took + ' ms' : 'still open after 30 s', !!line,
    config.server.name + ' killed (SIGKILL) with a connection open; the device side closed its local connection'];
}

/** Kills the server while nothing is open, so only the reconnect is tested. */
async function killServerIdle() {
  // telebit's device ends a local connection 500 ms after the stream's end and destroys it 500 ms later;
  // one still open when the tunnel drops makes it exit (see servedAgain), which is not what this case is about
  await delay(3000);
  process.kill(pidOf(config.server.pidFile), 'SIGKILL');
  await waitFor('the server to die', 10 * 1000, function () { return !alive(config.server.pidFile); });
}

/** Starts {@code who} again and waits until the tunnel serves: the device (re)connected and was granted. */
async function servedAgain(restart, what, restartsDevice) {
  var killedDevice = restartsDevice ? pidOf(config.device.pidFile) : null; // until the new one writes its pid
  start(restart);
  var started = Date.now();
  var data = payload(64 * 1024);
  for (;;) {
    try {
      var back = await withTimeout(connectTcp(config.ports.echo).then(function (s) { return echoOver(s, data); }),
        5000, 'echo');
      if (back.sha256 === sha256(data)) {
        return [short(sha256(data)), short(back.sha256), true, 'served again ' + (Date.now() - started)
          + ' ms after ' + what];
      }
    } catch (e) {
      // not yet: the port is not granted again
    }
    if (pidOf(config.device.pidFile) !== killedDevice && !alive(config.device.pidFile)
        && config.knownDeviceDiesWhenTunnelDropsWithConnections) {
      return [short(sha256(data)), '-', 'KNOWN', config.device.name + ' exited when its tunnel dropped with a '
        + 'local connection open (telebit bug: lib/remote.js sendMessage throws "WebSocket is not open" from '
        + 'onLocalEnd during closeAll), so it never reconnects'];
    }
    if (Date.now() - started > 60 * 1000) {
      return [short(sha256(data)), '-', false, 'not served within 60 s of ' + what];
    }
    await delay(500);
  }
}

async function killDevice() {
  var s = await heldConnection();
  var killedAt = Date.now();
  process.kill(pidOf(config.device.pidFile), 'SIGKILL');
  var done = await Promise.race([closed(s).then(function () { return true; }), delay(20 * 1000)]);
  s.destroy();
  var received = done ? 'closed after ' + (Date.now() - killedAt) + ' ms' : 'still open after 20 s';
  if (!done && config.knownDeviceKillLeavesPublicOpen) {
    return ['public connection closed', received, 'KNOWN', 'telebit relay bug: on a device hangup removeToken '
      + 'walks grant.clients, which is never filled, so public sockets stay open'];
  }
  return ['public connection closed', received, done, config.device.name + ' killed (SIGKILL) with a connection open'];
}

var CASES = [
  ['tcp echo 5 MB', tcpEcho],
  ['http by Host', httpByHost],
  ['tls by SNI 5 MB', tlsBySni],
  ['upload 5 MB and close, slow service', function () { return uploadAndClose('slow-sink', config.ports.slowSink, 5 * MB); }],
  ['client closes after 1 MB', function () { return uploadAndClose('fast-sink', config.ports.fastSink, MB); }],
  ['service closes after 2 MiB', serviceCloses],
  ['20 parallel streams', parallel],
  ['kill ' + config.device.name, killDevice],
  [config.device.name + ' restarted is served again', function () {
    return servedAgain(config.device.restart, config.device.name + ' restarted', true);
  }],
  [config.server.name + ' restarted while idle, device reconnects', async function () {
    await killServerIdle();
    return servedAgain(config.server.restart, config.server.name + ' restarted');
  }],
  ['kill ' + config.server.name, killServer],
  [config.server.name + ' restarted after that, device reconnects', function () {
    return servedAgain(config.server.restart, config.server.name + ' restarted');
  }]
];

(async function main() {
  for (var i = 0; i < CASES.length; i++) {
    var name = CASES[i][0];
    try {
      var r = await withTimeout(CASES[i][1](), CASE_TIMEOUT, name);
      report(name, r[0], r[1], r[2] === 'KNOWN' ? 'KNOWN' : r[2] ? 'PASS' : 'FAIL', r[3]);
    } catch (e) {
      report(name, '-', '-', 'FAIL', e.message);
    }
  }
  process.exit(0);
}());
