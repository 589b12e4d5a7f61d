'use strict';
// A MeshCentral web UI terminal session through mproxy's rendezvous relay, with MeshCentral's own code on the
// browser side: its relay script (public/scripts/agent-redir-ws-0.1.1.js, CreateAgentRedirect) and its terminal
// module (CreateRemoteTunnel, cut out of views/default.handlebars), in headless Chromium, unchanged. The page is
// served at the gateway's origin, as MeshCentral serves its web UI, so the relay script builds its usual URL
// <page folder>/meshrelay.ashx?browser=1&p=1&nodeid=..&id=<Math.random().toString(36)>&auth=<login token>; the
// login token is a gateway token. The relay script asks its server, through meshserver.send, to have the agent
// join; here that request goes to the agent side below, a MeshAgent terminal played by Node's ws (MeshCentral's
// WebSocket library), which dials the relay URL it was given, as the agent does, with its own gateway token.
//
// Environment: GATEWAY (http://127.0.0.1:PORT), BROWSER_TOKEN, AGENT_TOKEN, OUT_DIR (for reference.mcrec),
// AGENT_CLOSE_DELAY_MS (how long the agent waits after its last output before closing), LARGE_MESSAGE (bytes of
// one single-frame message the agent sends, 0 for none). Prints one line of JSON: what each side saw.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');
const { viewFunction, browser, run, MESHCENTRAL } = require('./harness');

const BANNER = 'MeshAgent interop terminal\r\n$ ';
const TYPED = 'echo hello\r';
const ANSWER = '\r\nhello\r\n$ ';

function page() {
    return '<!DOCTYPE html><html><head><meta charset="utf-8">'
        + '<script src="scripts/common-0.0.1.js"></script>'
        + '<script src="scripts/agent-redir-ws-0.1.1.js"></script>'
        + '<script>\n'
        + 'var urlargs = {}; // the web UI\'s page arguments, which the relay script reads\n'
        + viewFunction('views/default.handlebars', 'CreateRemoteTunnel') + '\n'
        + 'var received = [], states = [], terminal = null;\n'
        + 'var meshserver = { send: function (m) { window.mcTunnelRequest(JSON.stringify(m)); } };\n'
        + 'function tunnelUpdate(data) {\n'
        + '  if (typeof data == "string") { received.push({ text: true, data: btoa(unescape(encodeURIComponent(data))) }); return; }\n'
        + '  var s = ""; for (var i = 0; i < data.length; i++) { s += String.fromCharCode(data[i]); }\n'
        + '  received.push({ text: false, length: data.length, data: data.length > 65536 ? null : btoa(s) });\n'
        + '  if (data.length > 65536) { crypto.subtle.digest("SHA-256", data).then(function (d) {\n'
        + '    received[received.length - 1].sha256 = Array.from(new Uint8Array(d)).map(function (b) { return ("0" + b.toString(16)).slice(-2); }).join(""); }); }\n'
        + '}\n'
        + 'function startTerminal(auth) {\n'
        + '  var termoptions = { protocol: 1, cols: 80, rows: 24 }; // as the web UI\'s connectTerminal\n'
        + '  terminal = CreateAgentRedirect(meshserver, CreateRemoteTunnel(tunnelUpdate, termoptions), null, auth, null, "/");\n'
        + '  terminal.options = termoptions;\n'
        + '  terminal.attemptWebRTC = false;\n'
        + '  terminal.onStateChanged = function (t, s) { states.push(s); };\n'
        + '  terminal.Start("node//mproxy-interop");\n'
        + '  return terminal.tunnelid;\n'
        + '}\n'
        + '</script></head><body></body></html>';
}

function waitFor(what, predicate, timeoutMs) {
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = () => {
            if (predicate()) { resolve(); return; }
            if (Date.now() - started > timeoutMs) { reject(new Error('timed out waiting for ' + what)); return; }
            setTimeout(poll, 5);
        };
        poll();
    });
}

/** The session as MeshCentral's own relay would have recorded it, written by its recordingEntry. */
async function writeReference(file, transcript, tunnelId) {
    const { recordingEntry } = require(path.join(MESHCENTRAL, 'meshrelay.js'));
    const logfile = { fd: fs.openSync(file, 'w'), lock: false, filename: file, startTime: Date.now(), size: 0,
        text: 0 };
    const entry = (type, flags, data) => new Promise((resolve) => recordingEntry(logfile, type, flags, data, resolve));
    await entry(1, 0, JSON.stringify({ magic: 'MeshCentralRelaySession', ver: 1, userid: 'user//interop',
        username: 'interop', sessionid: tunnelId, ipaddr1: '127.0.0.1', ipaddr2: '127.0.0.1',
        time: new Date().toLocaleString(), protocol: '1', nodeid: 'node//mproxy-interop' }));
    for (const m of transcript) {
        // meshrelay.js: flags 2 for the browser=1 peer's messages, | 1 for binary ones
        await entry(2, m.from === 'browser' ? 2 : 0, m.text ? m.data.toString('utf8') : m.data);
    }
    await entry(3, 0, 'MeshCentralMCREC');
    fs.closeSync(logfile.fd);
}

run(async () => {
    const origin = process.env.GATEWAY;
    const closeDelay = Number(process.env.AGENT_CLOSE_DELAY_MS || 0);
    const large = Number(process.env.LARGE_MESSAGE || 0);
    const b = await browser(origin, { '/terminal.html': page() });
    const transcript = []; // both directions as the agent saw them, in order
    const agent = { received: [], sent: [], greeting: null, close: null, url: null, error: null };
    let browserSocketUrl = null;
    b.page.on('websocket', (ws) => { browserSocketUrl = ws.url(); });
    let socket = null;
    const send = (data) => {
        transcript.push({ from: 'agent', text: false, data });
        agent.sent.push(data);
        socket.send(data, { binary: true });
    };
    await b.page.exposeFunction('mcTunnelRequest', (json) => {
        const request = JSON.parse(json); // { action: 'msg', type: 'tunnel', nodeid, value: '*/meshrelay.ashx?...', usage }
        agent.request = request;
        agent.url = origin.replace(/^http/, 'ws') + request.value.substring(1); // the agent's server for '*'
        socket = new WebSocket(agent.url, { headers: { Authorization: 'Bearer ' + process.env.AGENT_TOKEN } });
        socket.on('unexpected-response', (req, res) => { agent.error = 'HTTP ' + res.statusCode; });
        socket.on('error', (e) => { agent.error = agent.error || String(e); });
        socket.on('close', (code, reason) => { agent.close = { code, reason: reason.toString() }; });
        socket.on('message', (data, isBinary) => {
            if (agent.greeting == null) { agent.greeting = data.toString(); return; } // 'c' or 'cr'
            transcript.push({ from: 'browser', text: !isBinary, data });
            agent.received.push({ text: !isBinary, data: data.toString('base64') });
            if (!isBinary && data.toString() === '1') {
                send(Buffer.from(BANNER)); // the protocol number: the agent starts its shell
            } else if (isBinary) {
                send(Buffer.from(data)); // the terminal's echo
                if (data.includes(13)) {
                    send(Buffer.from(ANSWER));
                    if (large > 0) {
                        send(crypto.randomBytes(large)); // one message, one frame
                    }
                    setTimeout(() => socket.close(1000, 'session over'), closeDelay);
                }
            }
        });
    });
    await b.page.goto(origin + '/terminal.html');
    const tunnelId = await b.page.evaluate((auth) => startTerminal(auth), process.env.BROWSER_TOKEN);
    await waitFor('the agent to print its banner at the browser', () => agent.sent.length > 0, 20000)
        .catch((e) => { throw new Error(e.message + '; agent: ' + JSON.stringify(agent) + '; log: ' + b.log); });
    await b.page.waitForFunction((n) => received.length >= 1, null, { timeout: 20000 });
    await b.page.evaluate((typed) => terminal.sendText(typed), TYPED);
    await waitFor('the agent to close', () => agent.close != null, 30000);
    await b.page.waitForFunction(() => terminal.State == 0 && received.every((r) => r.data != null || r.sha256),
        null, { timeout: 20000 });
    const seen = await b.page.evaluate(() => ({ received, states, recording: terminal.serverIsRecording }));
    await b.close();
    await writeReference(path.join(process.env.OUT_DIR, 'reference.mcrec'), transcript, tunnelId);
    return {
        tunnelId,
        browserUrl: browserSocketUrl && browserSocketUrl.replace(/auth=[^&]*/, 'auth=TOKEN'),
        agentUrl: agent.url,
        agentGreeting: agent.greeting,
        agentError: agent.error,
        agentClose: agent.close,
        agentReceived: agent.received,
        agentSent: agent.sent.map((d) => d.length > 65536
            ? { length: d.length, sha256: crypto.createHash('sha256').update(d).digest('hex') }
            : { length: d.length, data: d.toString('base64') }),
        browserReceived: seen.received,
        browserStates: seen.states,
        browserSawRecording: seen.recording,
        log: b.log,
    };
});
