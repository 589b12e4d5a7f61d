#!/usr/bin/env node
// Generates testdata/pack/<case>/ and testdata/pack-refused/<case>/.
//
// For every case this script writes input.json and the payload file it names,
// then runs the reference CLI exactly as documented by proxy-packer:
//
//     (cd testdata/pack && node $PP/proxy-packer/test/pack.js <case>/input.json <case>/output.bin)
//
// Cases marked `refused` are run too (into a temp file) only to confirm that
// the reference would really emit a header > 255 bytes or a header field with
// a comma; their output is not stored, an expected-error.txt is written instead.
//
// usage: node generate-pack.js [PATH_TO_NODE_MODULES]   (default /tmp/pp/node_modules,
//        or env PROXY_PACKER_MODULES)
// Deterministic: re-running produces identical files.
'use strict';
var fs = require('fs');
var path = require('path');
var os = require('os');
var cp = require('child_process');

var MODULES = process.argv[2] || process.env.PROXY_PACKER_MODULES || '/tmp/pp/node_modules';
var PACK_JS = path.resolve(MODULES, 'proxy-packer', 'test', 'pack.js');
var ROOT = __dirname;
var PACK_DIR = path.join(ROOT, 'pack');
var REFUSED_DIR = path.join(ROOT, 'pack-refused');

// ---- deterministic PRNG (mulberry32) ----
function prng(seed) {
	var a = seed >>> 0;
	return function() {
		a = (a + 0x6d2b79f5) >>> 0;
		var t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
function randomBytes(seed, n) {
	var r = prng(seed);
	var b = Buffer.alloc(n);
	for (var i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
	return b;
}

var refHello = fs.readFileSync(path.join(ROOT, 'reference', 'sni.hello.bin'));
var freshHello = fs.readFileSync(path.join(ROOT, 'captured', 'clienthello-a.example.net.bin'));
var mixedHello = fs.readFileSync(path.join(ROOT, 'captured', 'clienthello-MiXeD.Example.NET.bin'));

function http(lines) {
	return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

// Standard address object used as a base.
function addr(over) {
	var a = { family: 'IPv4', address: '127.0.1.1', port: 4321, service: 'https', serviceport: 443 };
	Object.keys(over || {}).forEach(function(k) {
		if (over[k] === undefined) delete a[k];
		else a[k] = over[k];
	});
	return a;
}
function json(address, file, extra) {
	var o = { version: 1, address: address, filepath: './' + file };
	Object.keys(extra || {}).forEach(function(k) { o[k] = extra[k]; });
	return JSON.stringify(o, null, '\t') + '\n';
}
// For literals that JSON.stringify cannot reproduce (1e21 as written, -0, big ints, ...)
function rawJson(addressBody, file) {
	return '{\n\t"version": 1,\n\t"address": {\n' + addressBody + '\n\t},\n\t"filepath": "./' + file + '"\n}\n';
}

var plain = Buffer.from('hello world, no tls and no host header\n');
var basicHttp = http(['GET / HTTP/1.1', 'Host: example.com', 'User-Agent: curl/8.0', 'Accept: */*']);

var cases = [
	// name, input.json text, payload file name, payload bytes, [refused reason]
	{ name: 'reference-example', json: fs.readFileSync(path.join(ROOT, 'reference', 'input.json'), 'utf8'), file: 'sni.hello.bin', data: refHello },
	{ name: 'ipv6-address', json: json(addr({ family: 'IPv6', address: '2001:db8::1', port: 51234 }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'ipv6-scoped-address', json: json(addr({ family: 'IPv6', address: 'fe80::1%eth0', port: 40000 }), 'request.http'), file: 'request.http', data: basicHttp },
	{ name: 'ipv4-mapped-ipv6', json: json(addr({ family: 'IPv6', address: '::ffff:1.2.3.4', port: 5555 }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'http-host-with-port', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: http(['GET /index.html HTTP/1.1', 'Host: Example.COM:8080', 'User-Agent: curl/8.0', 'Accept: */*']) },
	{ name: 'http-host-lowercase-key', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: http(['GET / HTTP/1.1', 'host: lower.example.org', 'Accept: */*']) },
	{ name: 'http-host-not-first', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: http(['POST /api HTTP/1.1', 'User-Agent: test', 'Content-Type: text/plain', 'HOST: Later.Example.NET', 'Content-Length: 0']) },
	{ name: 'http-host-no-space', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: http(['GET / HTTP/1.1', 'Host:nospace.example.com', 'Accept: */*']) },
	{ name: 'http-host-trailing-spaces', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: http(['GET / HTTP/1.1', 'Host: trail.example.com   ', 'Accept: */*']) },
	{ name: 'http-x-forwarded-host-first', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: http(['GET / HTTP/1.1', 'X-Forwarded-Host: evil.example', 'Host: good.example', 'Accept: */*']) },
	{ name: 'http-host-ipv6-literal', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: http(['GET / HTTP/1.1', 'Host: [::1]:8080', 'Accept: */*']) },
	{ name: 'http-host-non-ascii', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: '), Buffer.from('B\u00dcCHER.Example', 'utf8'), Buffer.from('\r\n\r\n')]) },
	{ name: 'http-host-invalid-utf8', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: bad'), Buffer.from([0xff]), Buffer.from('.example\r\n\r\n')]) },
	{ name: 'http-lf-only', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: Buffer.from('GET / HTTP/1.0\nHost: lf.example\n\n') },
	{ name: 'no-sni-no-host', json: json(addr(), 'payload.txt'), file: 'payload.txt', data: plain },
	{ name: 'empty-payload', json: json(addr(), 'empty.bin'), file: 'empty.bin', data: Buffer.alloc(0) },
	{ name: 'single-space-payload', json: json(addr(), 'space.bin'), file: 'space.bin', data: Buffer.from(' ') },
	{ name: 'tls-fresh-sni', json: json(addr(), 'clienthello.bin'), file: 'clienthello.bin', data: freshHello },
	{ name: 'tls-sni-mixed-case', json: json(addr(), 'clienthello.bin'), file: 'clienthello.bin', data: mixedHello },
	{ name: 'tls-truncated-hello', json: json(addr(), 'clienthello.bin'), file: 'clienthello.bin', data: freshHello.slice(0, 64) },
	{ name: 'numbers-as-strings', json: json(addr({ port: '4321', serviceport: '443' }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'serviceport-zero', json: json(addr({ serviceport: 0 }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'serviceport-zero-string', json: json(addr({ serviceport: '0' }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'serviceport-missing', json: json(addr({ serviceport: undefined }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'service-missing', json: json(addr({ service: undefined }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'service-null', json: json(addr({ service: null }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'service-empty', json: json(addr({ service: '' }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'service-false', json: json(addr({ service: false }), 'payload.txt'), file: 'payload.txt', data: plain },
	{ name: 'port-65535', json: json(addr({ port: 65535 }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'port-zero', json: json(addr({ port: 0 }), 'payload.txt'), file: 'payload.txt', data: plain },
	{ name: 'port-missing', json: json(addr({ port: undefined }), 'payload.txt'), file: 'payload.txt', data: plain },
	{ name: 'port-1e21', file: 'payload.txt', data: plain,
		json: rawJson('\t\t"family": "IPv4",\n\t\t"address": "127.0.1.1",\n\t\t"port": 1e21,\n\t\t"service": "https",\n\t\t"serviceport": 443', 'payload.txt') },
	{ name: 'port-half', file: 'payload.txt', data: plain,
		json: rawJson('\t\t"family": "IPv4",\n\t\t"address": "127.0.1.1",\n\t\t"port": 0.5,\n\t\t"service": "https",\n\t\t"serviceport": 443', 'payload.txt') },
	{ name: 'port-big-integer', file: 'payload.txt', data: plain,
		json: rawJson('\t\t"family": "IPv4",\n\t\t"address": "127.0.1.1",\n\t\t"port": 12345678901234567890,\n\t\t"service": "https",\n\t\t"serviceport": 443.0', 'payload.txt') },
	{ name: 'port-negative-zero-exponent', file: 'payload.txt', data: plain,
		json: rawJson('\t\t"family": "IPv4",\n\t\t"address": "127.0.1.1",\n\t\t"port": -0,\n\t\t"service": "https",\n\t\t"serviceport": 4.43E2', 'payload.txt') },
	{ name: 'family-boolean', json: json(addr({ family: true }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'family-null', json: json(addr({ family: null }), 'hello.bin'), file: 'hello.bin', data: refHello },
	{ name: 'name-key-overwritten', json: json(addr({ name: 'ignored.example.com' }), 'payload.txt'), file: 'payload.txt', data: plain },
	{ name: 'name-key-overwritten-by-host', json: json(addr({ name: 'ignored.example.com' }), 'request.http'), file: 'request.http', data: basicHttp },
	{ name: 'extra-unknown-keys', json: json(addr({ foo: 'bar', nested: { a: [1, 2] }, localAddress: '10.0.0.1' }), 'hello.bin', { comment: 'extra keys', x: 1 }),
		file: 'hello.bin', data: refHello },
	{ name: 'version-2', json: json(addr(), 'hello.bin').replace('"version": 1', '"version": 2'), file: 'hello.bin', data: refHello },
	{ name: 'binary-random-4k', json: json(addr(), 'random.bin'), file: 'random.bin', data: randomBytes(4096, 4096) },
	{ name: 'binary-random-16k-http-host', json: json(addr({ service: 'http', serviceport: 80 }), 'random.bin'), file: 'random.bin',
		data: Buffer.concat([randomBytes(16, 8000), Buffer.from('\nHost: Deep.Inside.Example:1\n'), randomBytes(17, 8000)]) },

	// ---- refused by our implementation (the reference packs them anyway) ----
	{ name: 'header-too-long', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: http(['GET / HTTP/1.1', 'Host: ' + new Array(31).join('abcdefghi.') + 'example.com', 'Accept: */*']), refused: 'header-length' },
	{ name: 'name-contains-comma', json: json(addr({ service: 'http', serviceport: 80 }), 'request.http'), file: 'request.http',
		data: http(['GET / HTTP/1.1', 'Host: a,b.example.com', 'Accept: */*']), refused: 'comma:name' },
	{ name: 'address-contains-comma', json: json(addr({ address: '1.2.3.4,5.6.7.8' }), 'hello.bin'), file: 'hello.bin', data: refHello, refused: 'comma:address' },
	{ name: 'service-contains-comma', json: json(addr({ service: 'https,http' }), 'hello.bin'), file: 'hello.bin', data: refHello, refused: 'comma:service' },
];

function rmrf(p) { fs.rmSync(p, { recursive: true, force: true }); }
rmrf(PACK_DIR);
rmrf(REFUSED_DIR);
fs.mkdirSync(PACK_DIR, { recursive: true });
fs.mkdirSync(REFUSED_DIR, { recursive: true });

var tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'packgen-'));
var summary = [];

cases.forEach(function(c) {
	var base = c.refused ? REFUSED_DIR : PACK_DIR;
	var dir = path.join(base, c.name);
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, 'input.json'), c.json);
	fs.writeFileSync(path.join(dir, c.file), c.data);

	var outRel = c.refused ? path.join(tmp, c.name + '.bin') : c.name + '/output.bin';
	cp.execFileSync(process.execPath, [PACK_JS, c.name + '/input.json', outRel], { cwd: base, stdio: ['ignore', 'ignore', 'inherit'] });
	var out = fs.readFileSync(path.resolve(base, outRel));

	// Inspect: FE, len byte, header (true byte length inferred from body size), body
	var bodyLen = c.data.length || 1;
	var hdrLen = out.length - 2 - bodyLen;
	var header = out.slice(2, 2 + hdrLen);
	var fields = header.toString('utf8').split(',');
	if (out[0] !== 0xfe) throw new Error(c.name + ': version byte');
	if (out[1] !== (hdrLen & 0xff)) throw new Error(c.name + ': length byte mismatch');
	if (!c.refused && fields[3] !== String(bodyLen)) throw new Error(c.name + ': datalen ' + fields[3]);
	var problem = null;
	if (hdrLen > 255) problem = 'header length ' + hdrLen + ' exceeds 255';
	else if (fields.length !== 7) {
		// fields must be: family,address,port,datalen,service,serviceport,name
		var raw = JSON.parse(c.json).address;
		var bad = ['family', 'address', 'port', 'service', 'serviceport'].filter(function(k) { return raw[k] != null && String(raw[k]).indexOf(',') >= 0; });
		problem = (bad.length ? bad[0] : 'name') + ' contains a comma';
	}
	if (c.refused) {
		if (!problem) throw new Error(c.name + ': expected refusal but header is fine: ' + header);
		fs.writeFileSync(path.join(dir, 'expected-error.txt'), problem + '\n');
		summary.push('refused ' + c.name + ': ' + problem);
	} else {
		if (problem) throw new Error(c.name + ': unexpected problem: ' + problem);
		summary.push('pack    ' + c.name + ': ' + JSON.stringify(header.toString('utf8')) + ' +' + bodyLen + 'B');
	}
});
rmrf(tmp);
console.log(summary.join('\n'));
