'use strict';
// The gateway's admin dashboard (not MeshCentral's: this folder's packages drive Chromium for both) in headless
// Chromium, for DashboardBrowserTest: opens URL signed in through the #token= fragment, waits for each device
// named on the command line to appear, for traffic to show and the chart to fill, keeps a screenshot, checks the
// page fits a phone's width, then disconnects GONE with the page's own button and waits for its row to go.
//
// Arguments: URL TOKEN SCREENSHOT GONE DEVICE... Prints one line of JSON.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { run } = require('./harness');

run(async () => {
    const [url, token, screenshot, gone, ...devices] = process.argv.slice(2);
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mproxy-dashboard-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        viewport: { width: 1280, height: 860 },
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'],
    });
    const log = [];
    try {
        const page = context.pages()[0] || await context.newPage();
        page.on('console', (m) => log.push(m.type() + ': ' + m.text()));
        page.on('pageerror', (e) => log.push('pageerror: ' + e.message));
        page.on('dialog', (d) => d.accept());
        await page.goto(url + '#token=' + encodeURIComponent(token));
        for (const device of devices) {
            await page.waitForSelector('tr[data-device="' + device + '"]', { timeout: 20000 });
        }
        // traffic flowing and two minutes' chart partly drawn, so the screenshot shows a live gateway
        await page.waitForFunction(() => state.history.length >= 12
            && state.history.slice(-3).every((p) => p.inRate > 0), null, { timeout: 40000 });
        const shown = await page.evaluate(() => ({
            rows: [...document.querySelectorAll('#devices tbody tr')].map((r) => r.getAttribute('data-device')),
            devices: document.getElementById('c-devices').textContent,
            toDevices: document.getElementById('c-in').textContent,
            refusals: document.getElementById('c-refusals').textContent,
            addressBarClean: location.hash === '',
        }));
        await page.screenshot({ path: screenshot, fullPage: true });

        await page.setViewportSize({ width: 390, height: 844 }); // a phone: the page must not scroll sideways
        await page.waitForTimeout(300);
        const phoneFits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
        await page.setViewportSize({ width: 1280, height: 860 });

        await page.click('tr[data-device="' + gone + '"] button');
        await page.waitForSelector('tr[data-device="' + gone + '"]', { state: 'detached', timeout: 20000 });
        const after = await page.evaluate(() =>
            [...document.querySelectorAll('#devices tbody tr')].map((r) => r.getAttribute('data-device')));
        return { shown, phoneFits, after, log };
    } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
});
