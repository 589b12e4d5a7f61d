'use strict';
// MeshCentral's session player (views/player.handlebars with its public/scripts, rendered as its web server
// renders it) in headless Chromium, opening each .mcrec given on the command line through its own "Open File..."
// dialog, as a person would. For each file it reports what the player shows (its metadata panel), each block
// it processed with the time it waited from (its clock, recFileLastTime), and, for the protocols it replays as a
// terminal, every string its terminal was given and the text on the terminal's screen once the replay ended.
//
// Environment: PLAY (1 to replay terminal recordings, at normal speed). Prints one line of JSON: one entry per file.

const { meshcentralFile, browser, run } = require('./harness');

const ORIGIN = 'http://127.0.0.1:9'; // never dialled: every request of the page is answered by the harness

function playerPage() {
    // what webserver.js passes to views/player: no custom tags, minified scripts, the root domain
    return meshcentralFile('views/player.handlebars').toString('utf8')
        .split('{{{customCSSTags}}}').join('').split('{{{customJSTags}}}').join('')
        .split('{{{randomlength}}}').join('').split('{{{domainurl}}}').join('/')
        .split('{{min}}').join('-min');
}

async function open(page, file) {
    await page.evaluate(() => openfile()); // the "Open File..." button
    await page.setInputFiles('#p2fileinput', file);
    await page.click('#idx_dlgOkButton');
    // read: its last block was not an end block, or its first block was processed (accepted or not)
    await page.waitForFunction(() => watched.lastBlock !== undefined && (watched.lastBlock !== 3 || watched.first),
        null, { timeout: 20000 });
}

run(async () => {
    const files = process.argv.slice(2);
    const b = await browser(ORIGIN, { '/player.htm': playerPage() });
    const results = [];
    for (const file of files) {
        await b.page.goto(ORIGIN + '/player.htm');
        await b.page.evaluate(() => {
            // the player's own functions, watched: what it waits for and what its terminal is given
            window.watched = { blocks: [], terminal: '' };
            const readLastBlock0 = readLastBlock;
            readLastBlock = function (f) {
                return readLastBlock0(function (type) { watched.lastBlock = type; return f.apply(this, arguments); });
            };
            const processFirstBlock0 = processFirstBlock;
            processFirstBlock = function () {
                try { return processFirstBlock0.apply(this, arguments); } finally { watched.first = true; }
            };
            const processBlock0 = processBlock;
            processBlock = function (type, flags, time, data) {
                watched.blocks.push({ type, flags, time, clock: recFileLastTime, size: data == null ? 0 : data.length,
                    at: performance.now() });
                return processBlock0.apply(this, arguments);
            };
            const writeXTerm0 = writeXTerm;
            writeXTerm = function (data) { watched.terminal += data; return writeXTerm0.apply(this, arguments); };
        });
        await open(b.page, file);
        const shown = await b.page.evaluate(() => ({
            accepted: recFileMetadata != null,
            panel: Q('metadatadiv').innerText,
            panelHtml: Q('metadatadiv').innerHTML,
            startTime: recFileStartTime,
            endTime: recFileEndTime,
            replayable: recFileProtocol != 0,
        }));
        const result = { file, ...shown };
        if (shown.replayable && process.env.PLAY === '1') {
            const started = await b.page.evaluate(() => { play(); return performance.now(); });
            await b.page.waitForFunction(() => !playing, null, { timeout: 60000 });
            const ended = await b.page.evaluate(() => performance.now());
            // the screen once the terminal has parsed all it was given and drawn it (its DOM renderer's rows)
            await b.page.evaluate(() => new Promise((resolve) => term.write('', () => requestAnimationFrame(
                () => requestAnimationFrame(resolve)))));
            Object.assign(result, await b.page.evaluate(([t0, t1]) => ({
                replayMs: t1 - t0,
                blocks: watched.blocks.map((x) => ({ ...x, at: x.at - t0 })),
                terminal: btoa(watched.terminal),
                screen: Array.from(Q('XTermParent').querySelectorAll('.xterm-rows > div'),
                    (row) => row.textContent.replace(/\s+$/, '')).join('\n').replace(/\n+$/, ''),
            }), [started, ended]));
        }
        results.push(result);
    }
    const log = b.log;
    await b.close();
    return { results, log };
});
