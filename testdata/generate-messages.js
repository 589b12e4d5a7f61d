#!/usr/bin/env node
// Generates decoder test vectors:
//   testdata/messages/<case>.bin + <case>.jsonl   valid streams + expected decoded messages
//   testdata/invalid/<case>.bin  + <case>.expect  corrupt streams (messages/offset/rule)
//   testdata/truncated/<case>.bin + <case>.expect incomplete streams (messages)
//
// Streams in messages/ are built with the reference packer:
//   "pad"   form: Packer.pack(meta, data, service)         (empty body -> ' ', datalen 1)
//   "nopad" form: Packer.packHeader(meta, data, service)    followed by the body bytes
//                 (empty body -> datalen 0)
// The expected .jsonl is computed from the meta/data/service passed in (NOT from the
// reference unpacker), then checked against an independent parse of the wire bytes, and
// cross-checked with the reference unpacker Packer.create(...).fns.addChunk (fed whole,
// in 1-byte chunks and in random chunks). Disagreements with the reference are printed.
//
// usage: node generate-messages.js [PATH_TO_NODE_MODULES]   (default /tmp/pp/node_modules,
//        or env PROXY_PACKER_MODULES)
// Deterministic: re-running produces identical files.
'use strict';
var fs = require('fs');
var path = require('path');

var MODULES = process.argv[2] || process.env.PROXY_PACKER_MODULES || '/tmp/pp/node_modules';
var Packer = require(path.resolve(MODULES, 'proxy-packer'));
var ROOT = __dirname;
var MSG_DIR = path.join(ROOT, 'messages');
var INV_DIR = path.join(ROOT, 'invalid');
var TRUNC_DIR = path.join(ROOT, 'truncated');

var CONTROL_WORDS = ['connection', 'data', 'end', 'error', 'pause', 'resume', 'control'].filter(function(w) { return w !== 'data'; });

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
function randomBytes(r, n) {
	var b = Buffer.alloc(n);
	for (var i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
	return b;
}
function randInt(r, lo, hi) { return lo + Math.floor(r() * (hi - lo + 1)); }

var refHello = fs.readFileSync(path.join(ROOT, 'reference', 'sni.hello.bin'));
var freshHello = fs.readFileSync(path.join(ROOT, 'captured', 'clienthello-a.example.net.bin'));

function clone(o) { return Object.assign({}, o); }
function str(v) { return v === undefined || v === null ? '' : String(v); }
// The body bytes the packer derives from `data` (before padding)
function bodyOf(data) {
	if (!data) return Buffer.alloc(0);
	if (Buffer.isBuffer(data)) return data;
	return Buffer.from(JSON.stringify(data));
}

// ---- expected message, computed from what we packed ----
function expected(meta, data, service, form) {
	meta = meta || {};
	var body = bodyOf(data);
	if (form === 'pad' && body.length === 0) body = Buffer.from(' ');
	var f5, svc;
	if (service === 'control') {
		return finish({ family: '', address: '', port: '', f5: 'control', service: 'control', serviceport: '', name: '' }, body);
	}
	if (service === 'connection') {
		return finish({ family: str(meta.family), address: str(meta.address), port: str(meta.port), f5: 'connection',
			service: str(meta.service || ''), serviceport: str(meta.serviceport || ''), name: str(meta.name || '') }, body);
	}
	f5 = service ? service : str(meta.service || '');
	svc = f5;
	return finish({ family: str(meta.family), address: str(meta.address), port: str(meta.port), f5: f5,
		service: svc, serviceport: str(meta.serviceport || ''), name: str(meta.name || '') }, body);
}
function finish(h, body) {
	var type = CONTROL_WORDS.indexOf(h.f5) >= 0 ? h.f5 : 'data';
	var isPad = type !== 'data' && body.length === 1 && body[0] === 0x20;
	return {
		type: type, family: h.family, address: h.address, port: h.port, service: h.service,
		serviceport: h.serviceport, name: h.name, data: isPad ? '' : body.toString('base64')
	};
}

// ---- message builders ----
// spec: { meta, data, service, form: 'pad'|'nopad' }
function build(spec) {
	var meta = clone(spec.meta || {});
	if (spec.form === 'pad') return Packer.pack(meta, spec.data, spec.service);
	var hdr = Packer.packHeader(meta, spec.data, spec.service);
	return Buffer.concat([hdr, bodyOf(spec.data)]);
}
// handcrafted message: raw header string/buffer + body; `exp` is its expected object
function raw(header, body) {
	header = Buffer.isBuffer(header) ? header : Buffer.from(header, 'utf8');
	body = body || Buffer.alloc(0);
	if (header.length > 255) throw new Error('raw header too long');
	return Buffer.concat([Buffer.from([0xfe, header.length]), header, body]);
}

// ---- independent wire parser (used only as a consistency check of our expectations) ----
function parseWire(buf) {
	var out = [];
	var i = 0;
	while (i < buf.length) {
		if (buf[i] !== 0xfe) throw new Error('bad version at ' + i);
		var hl = buf[i + 1];
		var header = buf.slice(i + 2, i + 2 + hl).toString('utf8');
		if (header.endsWith('\n')) header = header.slice(0, -1);
		var f = header.split(',');
		if (f.length < 5 || f.length > 8) throw new Error('field count at ' + i);
		if (!/^[0-9]+$/.test(f[3])) throw new Error('datalen at ' + i);
		var len = parseInt(f[3], 10);
		var body = buf.slice(i + 2 + hl, i + 2 + hl + len);
		if (body.length !== len) throw new Error('truncated at ' + i);
		i += 2 + hl + len;
		var type = CONTROL_WORDS.indexOf(f[4]) >= 0 ? f[4] : 'data';
		if (type === 'data' && len === 0) throw new Error('empty data at ' + i);
		var isPad = type !== 'data' && len === 1 && body[0] === 0x20;
		out.push({ type: type, family: f[0], address: f[1], port: f[2], service: type === 'connection' ? (f[7] || '') : f[4],
			serviceport: f[5] || '', name: f[6] || '', data: isPad ? '' : body.toString('base64') });
	}
	return out;
}

// ---- reference unpacker cross-check ----
function refDecode(buf, chunking) {
	var got = [];
	function h(kind) { return function(msg) { got.push({ cb: kind, msg: msg }); }; }
	var m = Packer.create({ onmessage: h('onmessage'), onconnection: h('onconnection'), oncontrol: h('oncontrol'),
		onerror: h('onerror'), onend: h('onend'), onpause: h('onpause'), onresume: h('onresume') });
	var origError = console.error;
	var logged = [];
	console.error = function() { logged.push([].slice.call(arguments).join(' ')); };
	var thrown = null;
	try {
		if (chunking === 'whole') m.fns.addChunk(buf);
		else if (chunking === 'bytes') for (var i = 0; i < buf.length; i++) m.fns.addChunk(buf.slice(i, i + 1));
		else {
			var r = prng(chunking), j = 0;
			while (j < buf.length) { var n = randInt(r, 1, 700); m.fns.addChunk(buf.slice(j, j + n)); j += n; }
		}
	} catch (e) { thrown = e; } finally { console.error = origError; }
	return { got: got, logged: logged, thrown: thrown };
}
var CB_FOR = { connection: 'onconnection', data: 'onmessage', end: 'onend', error: 'onerror', pause: 'onpause', resume: 'onresume', control: 'oncontrol' };
var notes = {};
function note(s) { notes[s] = (notes[s] || 0) + 1; }
function crossCheck(name, buf, exp) {
	['whole', 'bytes', 12345].forEach(function(ch) {
		var res = refDecode(buf, ch);
		if (res.thrown) note(name + ' [' + ch + ']: reference threw ' + res.thrown);
		if (res.logged.length) note(name + ': reference logged ' + JSON.stringify(res.logged[0]));
		if (res.got.length !== exp.length) { note(name + ' [' + ch + ']: reference emitted ' + res.got.length + ' messages, expected ' + exp.length); return; }
		res.got.forEach(function(g, k) {
			var e = exp[k];
			var msg = g.msg;
			if (g.cb !== CB_FOR[e.type]) note('type ' + e.type + ': reference called ' + g.cb);
			['family', 'address', 'port', 'service', 'serviceport', 'name'].forEach(function(key) {
				var v = msg[key] === undefined ? '' : msg[key];
				if (v !== e[key]) note(e.type + ' field ' + key + ': reference ' + JSON.stringify(msg[key]) + ' vs expected ' + JSON.stringify(e[key]) + ' (' + name + ')');
			});
			var d = msg.data === undefined ? '' : (Buffer.isBuffer(msg.data) ? msg.data.toString('base64') : 'NOT A BUFFER');
			if (d !== e.data) {
				if (e.data === '' && d === 'IA==') note(e.type + ': reference delivers the 1-byte pad " " as data (we expect "")');
				else note(e.type + ': reference data ' + d.slice(0, 20) + ' vs expected ' + e.data.slice(0, 20) + ' (' + name + ')');
			}
			if (e.type === 'error') {
				var extra = {};
				Object.keys(msg).forEach(function(k) { if (['family', 'address', 'port', 'service', 'serviceport', 'name', 'data'].indexOf(k) < 0) extra[k] = msg[k]; });
				note('error (' + name + '): reference adds ' + JSON.stringify(extra));
			}
		});
	});
}

var KEYS = ['type', 'family', 'address', 'port', 'service', 'serviceport', 'name', 'data'];
function jsonl(list) {
	return list.map(function(e) {
		var o = {};
		KEYS.forEach(function(k) { if (typeof e[k] !== 'string') throw new Error('non-string ' + k); o[k] = e[k]; });
		return JSON.stringify(o) + '\n';
	}).join('');
}

// =================================================================================
// messages/
// =================================================================================
var A = { family: 'IPv4', address: '127.0.1.1', port: 4321, service: 'https', serviceport: 443, name: 'example.com' };
var B6 = { family: 'IPv6', address: '2001:db8::1', port: 51234, service: 'https', serviceport: 443, name: 'ipv6.example.com' };
var MAPPED = { family: 'IPv6', address: '::ffff:1.2.3.4', port: 5555, service: 'http', serviceport: 80, name: 'mapped.example.com' };
var ERR_JSON = { message: 'connect ECONNREFUSED 127.0.0.1:3000', code: 'ECONNREFUSED' };
var CTRL_HELLO = [1, 'hello', [1], ['add_token', 'delete_token', 'auth', 'authn', 'authz']];
var CTRL_NEG = [-1, null];

var streams = []; // { name, parts: [ {bytes, exp} ] }
function S(name, specs) {
	streams.push({ name: name, parts: specs.map(function(s) {
		if (s.raw) return { bytes: s.raw, exp: s.exp };
		return { bytes: build(s), exp: expected(s.meta, s.data, s.service, s.form) };
	}) });
}
function both(base, specFn) {
	['pad', 'nopad'].forEach(function(form) { S(base + '-' + form, specFn(form)); });
}

both('connection', function(form) { return [{ meta: A, service: 'connection', form: form }]; });
both('connection-ipv6', function(form) { return [{ meta: B6, service: 'connection', form: form }]; });
both('data-tls-hello', function(form) { return [{ meta: A, data: freshHello, form: form }]; });
both('data-ipv6', function(form) { return [{ meta: B6, data: Buffer.from('GET / HTTP/1.1\r\nHost: ipv6.example.com\r\n\r\n'), form: form }]; });
both('data-ipv4-mapped', function(form) { return [{ meta: MAPPED, data: Buffer.from('hello from a mapped address'), form: form }]; });
both('data-single-space', function(form) { return [{ meta: A, data: Buffer.from(' '), form: form }]; });
both('end', function(form) { return [{ meta: A, service: 'end', form: form }]; });
both('error-json', function(form) { return [{ meta: A, data: ERR_JSON, service: 'error', form: form }]; });
both('error-no-body', function(form) { return [{ meta: A, service: 'error', form: form }]; });
both('error-text', function(form) { return [{ meta: A, data: Buffer.from('socket hang up'), service: 'error', form: form }]; });
both('pause', function(form) { return [{ meta: A, data: 1048576, service: 'pause', form: form }]; });
both('resume', function(form) { return [{ meta: A, data: 1048576, service: 'resume', form: form }]; });
both('pause-no-body', function(form) { return [{ meta: A, service: 'pause', form: form }]; });
both('control-hello', function(form) { return [{ meta: {}, data: CTRL_HELLO, service: 'control', form: form }]; });
both('control-negative', function(form) { return [{ meta: {}, data: CTRL_NEG, service: 'control', form: form }]; });
both('control-no-body', function(form) { return [{ meta: {}, service: 'control', form: form }]; });
// pad form turns an EMPTY data body into ' ', which (being a data message) is real data
S('data-empty-body-pad', [{ meta: A, data: Buffer.alloc(0), form: 'pad' }]);
S('data-empty-service', [{ meta: { family: 'IPv4', address: '10.1.2.3', port: 1000 }, data: Buffer.from('x'), form: 'nopad' }]);
// 5th field is case-sensitive: 'End' is not a control word -> data
S('data-service-case-sensitive', [{ meta: { family: 'IPv4', address: '10.1.2.3', port: 1000, service: 'End', serviceport: 80, name: 'x.example' }, data: Buffer.from('not an end'), form: 'pad' }]);
// telebit's 8-field connection header: IPv4,127.0.1.1,4321,0,connection,443,example.com,https
S('connection-telebit-8field', [{ meta: A, service: 'connection', form: 'nopad' }]);
// Go telebit dialect: trailing comma + LF in the header
S('go-dialect-data', [{ raw: raw('IPv4,1.2.3.4,5555,5,http,80,example.com,\n', Buffer.from('hello')),
	exp: { type: 'data', family: 'IPv4', address: '1.2.3.4', port: '5555', service: 'http', serviceport: '80', name: 'example.com', data: Buffer.from('hello').toString('base64') } }]);

// the reference's own test/parse.js stream: connection + data(hello) + end
(function() {
	var a = { family: 'IPv4', address: '127.0.1.1', port: 4321, service: 'foo-https', serviceport: 443, name: 'foo-pokemap.hellabit.com' };
	var base = a.family + ',' + a.address + ',' + a.port;
	S('parse-js-stream', [
		{ raw: raw(base + ',0,connection,' + a.serviceport + ',' + a.name + ',' + a.service),
			exp: { type: 'connection', family: 'IPv4', address: '127.0.1.1', port: '4321', service: 'foo-https', serviceport: '443', name: 'foo-pokemap.hellabit.com', data: '' } },
		{ raw: raw(base + ',' + refHello.length + ',' + a.service + ',' + a.serviceport + ',' + a.name, refHello),
			exp: { type: 'data', family: 'IPv4', address: '127.0.1.1', port: '4321', service: 'foo-https', serviceport: '443', name: 'foo-pokemap.hellabit.com', data: refHello.toString('base64') } },
		{ raw: raw(base + ',0,end,' + a.serviceport + ',' + a.name),
			exp: { type: 'end', family: 'IPv4', address: '127.0.1.1', port: '4321', service: 'end', serviceport: '443', name: 'foo-pokemap.hellabit.com', data: '' } }
	]);
})();

// multi-message: two interleaved clients + control, mixed forms
(function() {
	var c1 = { family: 'IPv4', address: '203.0.113.7', port: 50001, service: 'https', serviceport: 443, name: 'one.example.com' };
	var c2 = { family: 'IPv6', address: '2001:db8::2', port: 50002, service: 'http', serviceport: 80, name: 'two.example.com' };
	var r = prng(2);
	S('multi-two-clients', [
		{ meta: {}, data: CTRL_HELLO, service: 'control', form: 'pad' },
		{ meta: c1, service: 'connection', form: 'pad' },
		{ meta: c2, service: 'connection', form: 'nopad' },
		{ meta: c1, data: freshHello, form: 'pad' },
		{ meta: c2, data: Buffer.from('GET / HTTP/1.1\r\nHost: two.example.com\r\n\r\n'), form: 'nopad' },
		{ meta: c1, data: randomBytes(r, 1000), form: 'nopad' },
		{ meta: c1, data: 1048576, service: 'pause', form: 'pad' },
		{ meta: c2, data: randomBytes(r, 300), form: 'pad' },
		{ meta: c2, data: 65536, service: 'pause', form: 'nopad' },
		{ meta: c1, data: 1048576, service: 'resume', form: 'pad' },
		{ meta: c1, data: randomBytes(r, 2000), form: 'pad' },
		{ meta: c2, data: 65536, service: 'resume', form: 'nopad' },
		{ meta: c2, data: Buffer.from(' '), form: 'nopad' },
		{ meta: {}, data: CTRL_NEG, service: 'control', form: 'nopad' },
		{ meta: c2, service: 'end', form: 'nopad' },
		{ meta: c1, service: 'end', form: 'pad' }
	]);
})();

// multi-message: every kind for one client, alternating forms
(function() {
	var specs = [];
	var kinds = [
		{ service: 'connection' }, { data: refHello }, { data: 1048576, service: 'pause' }, { data: 1048576, service: 'resume' },
		{ data: ERR_JSON, service: 'error' }, { service: 'error' }, { data: Buffer.from('oops, not json'), service: 'error' },
		{ data: CTRL_HELLO, service: 'control' }, { service: 'end' }
	];
	['pad', 'nopad'].forEach(function(form) {
		kinds.forEach(function(k) { specs.push({ meta: MAPPED, data: k.data, service: k.service, form: form }); });
	});
	S('multi-all-kinds', specs);
})();

// multi-message: 60 messages, 4 clients, random body sizes 1..20000 (seeded)
(function() {
	var r = prng(60);
	var clients = [
		{ family: 'IPv4', address: '198.51.100.1', port: 40001, service: 'https', serviceport: 443, name: 'a.example.net' },
		{ family: 'IPv4', address: '198.51.100.2', port: 40002, service: 'http', serviceport: 80, name: 'b.example.net' },
		{ family: 'IPv6', address: '2001:db8::3', port: 40003, service: 'ssh', serviceport: 22, name: 'c.example.net' },
		{ family: 'IPv6', address: '::ffff:198.51.100.4', port: 40004, service: 'https', serviceport: 8443, name: 'd.example.net' }
	];
	var specs = [{ meta: {}, data: CTRL_HELLO, service: 'control', form: 'pad' }];
	clients.forEach(function(c, i) { specs.push({ meta: c, service: 'connection', form: i % 2 ? 'pad' : 'nopad' }); });
	var nData = 0;
	while (specs.length < 56) {
		var c = clients[randInt(r, 0, 3)];
		var form = r() < 0.5 ? 'pad' : 'nopad';
		var x = r();
		if (x < 0.06) specs.push({ meta: c, data: randInt(r, 1, 1048576), service: 'pause', form: form });
		else if (x < 0.12) specs.push({ meta: c, data: randInt(r, 1, 1048576), service: 'resume', form: form });
		else { specs.push({ meta: c, data: randomBytes(r, randInt(r, 1, 20000)), form: form }); nData++; }
	}
	clients.forEach(function(c, i) { specs.push({ meta: c, service: 'end', form: i % 2 ? 'nopad' : 'pad' }); });
	S('multi-random-60', specs);
})();

// =================================================================================
// invalid/ and truncated/
// =================================================================================
function okMsg(i) {
	return build({ meta: { family: 'IPv4', address: '192.0.2.' + (i + 1), port: 3000 + i, service: 'http', serviceport: 80, name: 'ok' + i + '.example' },
		data: Buffer.from('valid message ' + i), form: 'pad' });
}
function prefix(n) { var l = []; for (var i = 0; i < n; i++) l.push(okMsg(i)); return Buffer.concat(l); }

var invalid = []; // { name, bytes, messages, offset, rule }
// header: string or Buffer; locate: function(headerBuf) -> index inside header (or -1 for 'first header byte')
function badHeader(name, n, header, body, rule, idxInHeader) {
	var pre = prefix(n);
	var h = Buffer.isBuffer(header) ? header : Buffer.from(header, 'latin1');
	var bytes = Buffer.concat([pre, Buffer.from([0xfe, h.length]), h, body || Buffer.alloc(0)]);
	invalid.push({ name: name, bytes: bytes, messages: n, offset: pre.length + 2 + idxInHeader, rule: rule });
}
function datalenIdx(h) { var s = h.toString('latin1'); var i = -1; for (var k = 0; k < 3; k++) i = s.indexOf(',', i + 1); return i + 1; }

// 2.1 version byte
(function() {
	var get = Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
	invalid.push({ name: 'version-http-request', bytes: get, messages: 0, offset: 0, rule: '2.1' });
	var p1 = prefix(1);
	invalid.push({ name: 'version-ff-after-1', bytes: Buffer.concat([p1, Buffer.from([0xff]), okMsg(1).slice(1)]), messages: 1, offset: p1.length, rule: '2.1' });
	var p2 = prefix(2);
	invalid.push({ name: 'version-zero-after-2', bytes: Buffer.concat([p2, Buffer.from([0x00, 0x05]), Buffer.from('hello')]), messages: 2, offset: p2.length, rule: '2.1' });
})();
// 2.3 control characters / bad UTF-8
(function() {
	var h = 'IPv4,1.2.3.4,5555,5,http,80,exa\tmple.com';
	badHeader('header-tab', 1, h, Buffer.from('hello'), '2.3', h.indexOf('\t'));
	h = 'IPv4,1.2.3.4\u0000,5555,5,http,80,example.com';
	badHeader('header-nul', 0, h, Buffer.from('hello'), '2.3', h.indexOf('\u0000'));
	h = 'IPv4,1.2.3.4,5555,5,http,80,example.com\u007f';
	badHeader('header-del', 2, h, Buffer.from('hello'), '2.3', h.indexOf('\u007f'));
	h = 'IPv4,1.2.3.4,5555,5,http,80,example.com,\n\n';
	badHeader('header-double-trailing-lf', 1, h, Buffer.from('hello'), '2.3', h.indexOf('\n'));
	h = 'IPv4,1.2.3.4,5555,5,http,80,exam\r\nple.com';
	badHeader('header-crlf-inside', 0, h, Buffer.from('hello'), '2.3', h.indexOf('\r'));
	var hb = Buffer.concat([Buffer.from('IPv4,1.2.3.4,5555,5,http,80,bad'), Buffer.from([0xff]), Buffer.from('.example')]);
	badHeader('header-invalid-utf8-ff', 1, hb, Buffer.from('hello'), '2.3', hb.indexOf(0xff));
	hb = Buffer.concat([Buffer.from('IPv4,1.2.3.4,5555,5,http,80,bad'), Buffer.from([0x80]), Buffer.from('.example')]);
	badHeader('header-invalid-utf8-continuation', 0, hb, Buffer.from('hello'), '2.3', hb.indexOf(0x80));
})();
// 2.4 field count
(function() {
	badHeader('fields-too-few', 1, 'IPv4,1.2.3.4,5555,5', Buffer.from('hello'), '2.4', 0);
	badHeader('fields-too-many', 0, 'IPv4,1.2.3.4,5555,5,http,80,example.com,https,extra', Buffer.from('hello'), '2.4', 0);
	// FE 00 followed by a further valid message: the empty header (1 field) is the fault
	badHeader('header-length-zero', 2, '', okMsg(3), '2.4', 0);
})();
// 2.5 datalen syntax
[['datalen-alpha-suffix', '12abc'], ['datalen-leading-space', ' 7'], ['datalen-negative', '-1'], ['datalen-plus', '+5'],
	['datalen-empty', ''], ['datalen-hex', '0x10']].forEach(function(c, i) {
	var h = 'IPv4,1.2.3.4,5555,' + c[1] + ',http,80,example.com';
	badHeader(c[0], i % 3, h, Buffer.from('hello'), '2.5', datalenIdx(Buffer.from(h)));
});
// 2.6 datalen too large
[['datalen-max-plus-one', '1048577'], ['datalen-huge', '99999999999999999999999']].forEach(function(c, i) {
	var h = 'IPv4,1.2.3.4,5555,' + c[1] + ',http,80,example.com';
	badHeader(c[0], i, h, Buffer.from('hello'), '2.6', datalenIdx(Buffer.from(h)));
});
// 3.3 data message with datalen 0 (what packHeader produces for an empty data body)
(function() {
	var p1 = prefix(1);
	var bad = Packer.packHeader({ family: 'IPv4', address: '1.2.3.4', port: 5555, service: 'https', serviceport: 443, name: 'example.com' }, null);
	invalid.push({ name: 'data-zero-length-after-1', bytes: Buffer.concat([p1, bad, okMsg(1)]), messages: 1, offset: p1.length + 2, rule: '3.3' });
	var h = Buffer.from('IPv4,1.2.3.4,5555,0,,,');
	invalid.push({ name: 'data-zero-length-empty-service', bytes: Buffer.concat([Buffer.from([0xfe, h.length]), h]), messages: 0, offset: 2, rule: '3.3' });
})();

var truncated = [];
(function() {
	truncated.push({ name: 'empty-stream', bytes: Buffer.alloc(0), messages: 0 });
	truncated.push({ name: 'version-byte-only-after-1', bytes: Buffer.concat([prefix(1), Buffer.from([0xfe])]), messages: 1 });
	truncated.push({ name: 'header-len-255-short', bytes: Buffer.concat([prefix(1), Buffer.from([0xfe, 0xff]), Buffer.from('IPv4,1.2.3.4,5555,5,http,80,exam')]), messages: 1 });
	var m = okMsg(2);
	truncated.push({ name: 'body-partial-after-2', bytes: Buffer.concat([prefix(2), m.slice(0, m.length - 3)]), messages: 2 });
	var h = Buffer.from('IPv4,1.2.3.4,5555,1048576,http,80,example.com');
	truncated.push({ name: 'max-datalen-partial-body', bytes: Buffer.concat([Buffer.from([0xfe, h.length]), h, Buffer.alloc(100, 0x61)]), messages: 0 });
})();

// =================================================================================
// write + verify
// =================================================================================
function rmrf(p) { fs.rmSync(p, { recursive: true, force: true }); }
[MSG_DIR, INV_DIR, TRUNC_DIR].forEach(function(d) { rmrf(d); fs.mkdirSync(d, { recursive: true }); });

streams.forEach(function(s) {
	var bytes = Buffer.concat(s.parts.map(function(p) { return p.bytes; }));
	var exp = s.parts.map(function(p) { return p.exp; });
	var wire = parseWire(bytes);
	if (JSON.stringify(wire) !== JSON.stringify(exp.map(function(e) { var o = {}; KEYS.forEach(function(k) { o[k] = e[k]; }); return o; }))) {
		console.error(JSON.stringify(wire, null, 1).slice(0, 2000));
		console.error(JSON.stringify(exp, null, 1).slice(0, 2000));
		throw new Error(s.name + ': expectation does not match wire');
	}
	crossCheck(s.name, bytes, exp);
	fs.writeFileSync(path.join(MSG_DIR, s.name + '.bin'), bytes);
	fs.writeFileSync(path.join(MSG_DIR, s.name + '.jsonl'), jsonl(exp));
});
invalid.forEach(function(c) {
	fs.writeFileSync(path.join(INV_DIR, c.name + '.bin'), c.bytes);
	fs.writeFileSync(path.join(INV_DIR, c.name + '.expect'), 'messages=' + c.messages + '\noffset=' + c.offset + '\nrule=' + c.rule + '\n');
	var res = refDecode(c.bytes, 'whole');
	note('invalid ' + c.name + ' (rule ' + c.rule + '): reference emitted ' + res.got.length + ' message(s)' +
		(res.got.length > c.messages ? ' incl. ' + JSON.stringify(res.got.slice(c.messages).map(function(g) { return g.cb + ':' + JSON.stringify([g.msg.family, g.msg.port, g.msg.service, g.msg.data && g.msg.data.length]); })) : '') +
		(res.logged.length ? '; logged ' + JSON.stringify(res.logged) : '') + (res.thrown ? '; THREW ' + String(res.thrown).split('\n')[0] : ''));
});
truncated.forEach(function(c) {
	fs.writeFileSync(path.join(TRUNC_DIR, c.name + '.bin'), c.bytes);
	fs.writeFileSync(path.join(TRUNC_DIR, c.name + '.expect'), 'messages=' + c.messages + '\n');
	var res = refDecode(c.bytes, 'whole');
	if (res.thrown) note('truncated ' + c.name + ': reference threw ' + res.thrown);
	if (res.got.length !== c.messages) note('truncated ' + c.name + ': reference emitted ' + res.got.length + ' vs ' + c.messages);
});

console.log('messages: ' + streams.map(function(s) { return s.name + '(' + s.parts.length + ')'; }).join(' '));
console.log('invalid: ' + invalid.map(function(c) { return c.name; }).join(' '));
console.log('truncated: ' + truncated.map(function(c) { return c.name; }).join(' '));
console.log('\nreference cross-check notes:');
Object.keys(notes).forEach(function(k) { console.log('  ' + k + (notes[k] > 1 ? '  (x' + notes[k] + ')' : '')); });
