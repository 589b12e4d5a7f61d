'use strict';
// The local services behind the device (telebit's or mproxy's connector), for the interop cases. Node 10,
// core modules only. Each service appends one JSON line per finished connection to LOG (what it received,
// what it sent, how it ended), so the cases compare bytes, not log lines of the programs under test.
//
//   node services.js LOG CERT KEY
//
// 127.0.0.1:3001 echo          every byte back; ends its side after the client's end
// 127.0.0.1:3002 slow sink     waits 300 ms, then reads 16 KiB every 4 ms (about 4 MB/s); records what it got
// 127.0.0.1:3003 sender        sends 2 MiB of random bytes at once and closes; records what it sent
// 127.0.0.1:3005 fast sink     reads as fast as it can; records what it got
// 127.0.0.1:3006 holder        keeps the connection, echoes; records when it closes (the kill cases)
// 127.0.0.1:3014 TLS echo      TLS with the test leaf (the connector's --https target in direction B)
// 127.0.0.1:3015 HTTP echo     answers a request with its own body (the connector's --http target)

var net = require('net');
var tls = require('tls');
var http = require('http');
var fs = require('fs');
var crypto = require('crypto');

var log = process.argv[2];
var cert = fs.readFileSync(process.argv[3]);
var key = fs.readFileSync(process.argv[4]);

function record(service, fields) {
  fields.service = service;
  fields.at = Date.now();
  fs.appendFileSync(log, JSON.stringify(fields) + '\n');
}

function sink(service, slow) {
  return function (conn) {
    var hash = crypto.createHash('sha256');
    var bytes = 0;
    var ended = false;
    function take(chunk) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    conn.on('end', function () { ended = true; conn.end(); });
    conn.on('error', function () {});
    conn.on('close', function () {
      record(service, { bytes: bytes, sha256: hash.digest('hex'), ended: ended });
    });
    if (!slow) {
      conn.on('data', take);
      return;
    }
    setTimeout(function readSome() {
      var chunk = conn.read(16384);
      if (chunk === null) {
        conn.once('readable', readSome);
        return;
      }
      take(chunk);
      setTimeout(readSome, 4);
    }, 300);
  };
}

function listen(server, port, name) {
  server.on('error', function (e) { console.error(name, e); process.exit(1); });
  server.listen(port, '127.0.0.1');
}

function echo(conn) {
  conn.on('error', function () {});
  conn.pipe(conn);
}

listen(net.createServer({ allowHalfOpen: true }, echo), 3001, 'echo');
listen(net.createServer({ allowHalfOpen: true }, sink('slow-sink', true)), 3002, 'slow sink');
listen(net.createServer(function (conn) {
  var payload = crypto.randomBytes(2 * 1024 * 1024);
  conn.on('error', function () {});
  conn.end(payload, function () {
    record('sender', { bytes: payload.length, sha256: crypto.createHash('sha256').update(payload).digest('hex') });
  });
}), 3003, 'sender');
listen(net.createServer({ allowHalfOpen: true }, sink('fast-sink', false)), 3005, 'fast sink');
listen(net.createServer({ allowHalfOpen: true }, function (conn) {
  var opened = Date.now();
  conn.on('error', function () {});
  conn.on('close', function () { record('holder', { opened: opened, closed: Date.now() }); });
  conn.pipe(conn);
}), 3006, 'holder');
listen(tls.createServer({ cert: cert, key: key, allowHalfOpen: true }, echo), 3014, 'tls echo');
listen(http.createServer(function (req, res) {
  var chunks = [];
  req.on('data', function (c) { chunks.push(c); });
  req.on('end', function () {
    var body = Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-path': req.url,
      'content-length': body.length });
    res.end(body);
  });
}), 3015, 'http echo');

console.log('services listening');
