// The baseline of mail_bench's parse phase: mailparser's simpleParser reading every .eml of a
// directory, one message at a time (each awaited before the next), in turn, on one Node process.
//
//   node mailparser_bench.js DIR SECONDS [defaults|same-work] [WARMUP_SECONDS] [per-message]
//
// same-work: simpleParser is told to skip what frontdoor's parse does not do (building an HTML
// version of plain text, linkifying, turning cid: images into data: URIs); it still decodes
// every header, charset and attachment and turns HTML into text. defaults: simpleParser as
// most callers run it.
//
// Prints one JSON line: {"messages":N,"seconds":S,"cpu_seconds":C,"errors":E,"version":"…"}
// (cpu_seconds: user + system time of every thread of the process during the timed loop, the
// garbage collector's and compiler's included) and, with per-message,
// {"per_message_us":{"file.eml":µs,…}} before it.
'use strict';

const fs = require('fs');
const path = require('path');
const { simpleParser } = require('mailparser');

async function main() {
  const [dir, secondsArg, mode = 'same-work', warmupArg = '1', detail] = process.argv.slice(2);
  const seconds = Number(secondsArg);
  const warmup = Number(warmupArg);
  if (!dir || !(seconds > 0)) {
    console.error('usage: node mailparser_bench.js DIR SECONDS [defaults|same-work] [WARMUP]');
    process.exit(2);
  }
  const options =
    mode === 'defaults' ? {} : { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true };
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  const messages = files.map((f) => fs.readFileSync(path.join(dir, f)));
  if (messages.length === 0) throw new Error('no .eml in ' + dir);

  const now = () => Number(process.hrtime.bigint()) / 1e9;
  let errors = 0;
  const spent = new Array(messages.length).fill(0);
  const count = new Array(messages.length).fill(0);
  async function loop(duration, record) {
    const end = now() + duration;
    let n = 0;
    while (now() < end) {
      for (let i = 0; i < messages.length && now() < end; ++i) {
        const started = record && detail ? now() : 0;
        try {
          await simpleParser(messages[i], options);
        } catch (e) {
          if (record) ++errors;
        }
        if (record && detail) {
          spent[i] += now() - started;
          ++count[i];
        }
        ++n;
      }
    }
    return n;
  }

  await loop(warmup, false);
  const cpuBefore = process.cpuUsage();
  const started = now();
  const n = await loop(seconds, true);
  const elapsed = now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (detail) {
    const perMessage = {};
    files.forEach((f, i) => {
      perMessage[f] = count[i] ? (spent[i] / count[i]) * 1e6 : 0;
    });
    console.log(JSON.stringify({ per_message_us: perMessage }));
  }
  const version = require('mailparser/package.json').version;
  console.log(
    JSON.stringify({
      messages: n,
      seconds: elapsed,
      cpu_seconds: (cpu.user + cpu.system) / 1e6,
      errors,
      version,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
