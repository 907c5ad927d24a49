'use strict';
/**
 * The demo's terminal: labelled output lines from several processes, plus
 * one status line. On a TTY the status line stays at the bottom and is
 * redrawn in place; elsewhere (CI logs, pipes) it is printed as an ordinary
 * line every few seconds, because a log cannot be redrawn.
 */

const ESC = '\u001b[';
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const COLOURS = [36, 35, 33, 32, 34, 31]; // cyan, magenta, yellow, green, blue, red

function visibleLength(text) {
  return text.replace(ANSI, '').length;
}

/** Cuts a line to `width` visible characters: a wrapped status line could not be redrawn. */
function fit(text, width) {
  const plain = text.replace(ANSI, '');
  return plain.length <= width ? text : `${plain.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * @param {object} options
 * @param {NodeJS.WriteStream} [options.stream] default process.stdout
 * @param {boolean} [options.interactive] default: the stream is a TTY
 * @param {number} [options.statusEveryMs] how often a non-interactive status line is printed (default 5000)
 */
function createScreen(options = {}) {
  const stream = options.stream ?? process.stdout;
  const interactive = options.interactive ?? Boolean(stream.isTTY);
  const statusEveryMs = options.statusEveryMs ?? 5000;
  let status = '';
  let lastPrinted = 0;

  const width = () => Math.max(20, (stream.columns || 100) - 1);
  const clearStatus = () => {
    if (interactive && status) stream.write(`\r${ESC}2K`);
  };
  const drawStatus = () => {
    if (interactive && status) stream.write(fit(status, width()));
  };

  return {
    interactive,

    /** A label coloured by index on a TTY, e.g. `node 1 │ `; padded so output columns line up. */
    label(text, index, pad = 8) {
      const padded = `${text.padEnd(pad)} │ `;
      if (!interactive || index === undefined) return padded;
      return `${ESC}${COLOURS[index % COLOURS.length]}m${padded}${ESC}39m`;
    },

    /** One line of output, under the status line. */
    line(prefix, text) {
      clearStatus();
      stream.write(`${prefix}${text}\n`);
      drawStatus();
    },

    /** Plain text (tables, headings) under the status line. */
    print(text = '') {
      clearStatus();
      stream.write(`${text}\n`);
      drawStatus();
    },

    /** Sets the status line: redrawn now on a TTY, printed at most every statusEveryMs otherwise. */
    status(text, { force = false } = {}) {
      if (interactive) {
        clearStatus();
        status = text;
        drawStatus();
        return;
      }
      const now = Date.now();
      if (force || now - lastPrinted >= statusEveryMs) {
        lastPrinted = now;
        stream.write(`${text}\n`);
      }
    },

    /** Removes the status line (before the final table). */
    endStatus() {
      clearStatus();
      status = '';
    },
  };
}

module.exports = { createScreen, visibleLength, fit };
