'use strict';
// What the interop scripts share: MeshCentral's installed package, headless Chromium through playwright-core,
// and MeshCentral's own web files served to the page from the package, as its web server would serve them.
// Run by MeshCentralInteropTest with NODE_PATH pointing at the installed node_modules.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const MESHCENTRAL = path.dirname(require.resolve('meshcentral/package.json'));

/** A file of the meshcentral package, e.g. 'public/scripts/agent-redir-ws-0.1.1.js'. */
function meshcentralFile(relative) {
    return fs.readFileSync(path.join(MESHCENTRAL, relative));
}

/**
 * A function of MeshCentral's inline page script, cut out of a view by its braces, e.g. CreateRemoteTunnel
 * from views/default.handlebars: the web UI's own terminal module.
 */
function viewFunction(view, name) {
    const text = meshcentralFile(view).toString('utf8');
    const start = text.indexOf('function ' + name + '(');
    if (start < 0) { throw new Error('no function ' + name + ' in ' + view); }
    let depth = 0;
    for (let i = text.indexOf('{', start); i < text.length; i++) {
        if (text[i] === '{') { depth++; }
        if (text[i] === '}' && --depth === 0) { return text.substring(start, i + 1); }
    }
    throw new Error('function ' + name + ' in ' + view + ' does not end');
}

const CONTENT_TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.png': 'image/png',
    '.gif': 'image/gif', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.ico': 'image/x-icon' };

/**
 * Headless Chromium with one page whose requests under `origin` are answered by `pages` (path -> HTML) or,
 * for /scripts/ and /styles/, from MeshCentral's public folder; WebSockets are not routed and reach the real
 * server at origin. Flags as known to work here; a fresh profile each time.
 */
async function browser(origin, pages) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mproxy-interop-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync',
            // the page comes from page.route, not from the loopback address its WebSocket dials: without this,
            // Chromium's Local Network Access checks block that WebSocket
            '--disable-features=LocalNetworkAccessChecks'],
    });
    const page = context.pages()[0] || await context.newPage();
    const log = [];
    page.on('console', (m) => log.push(m.type() + ': ' + m.text()));
    page.on('pageerror', (e) => log.push('pageerror: ' + e.message));
    await page.route(origin + '/**', (route) => {
        const url = new URL(route.request().url());
        if (pages[url.pathname] != null) {
            return route.fulfill({ status: 200, contentType: 'text/html', body: pages[url.pathname] });
        }
        const match = /^\/(scripts|styles|images)\/([A-Za-z0-9._-]+)$/.exec(url.pathname);
        if (match) {
            const file = path.join(MESHCENTRAL, 'public', match[1], match[2]);
            if (fs.existsSync(file)) {
                return route.fulfill({ status: 200, body: fs.readFileSync(file),
                    contentType: CONTENT_TYPES[path.extname(file)] || 'application/octet-stream' });
            }
        }
        return route.fulfill({ status: 404, body: 'not found' });
    });
    return {
        page, log,
        async close() {
            await context.close();
            fs.rmSync(profile, { recursive: true, force: true });
        },
    };
}

/** Runs main, prints its result as one line of JSON, exits 0; on failure prints the error and exits 1. */
function run(main) {
    const deadline = setTimeout(() => { console.error('interop script timed out'); process.exit(3); },
        Number(process.env.INTEROP_TIMEOUT_MS || 90000));
    main().then((result) => {
        clearTimeout(deadline);
        process.stdout.write(JSON.stringify(result) + '\n');
        process.exit(0);
    }, (e) => {
        console.error(e && e.stack || e);
        process.exit(1);
    });
}

module.exports = { MESHCENTRAL, meshcentralFile, viewFunction, browser, run };
