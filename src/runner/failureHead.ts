/**
 * The first line of a failure that says something: colour codes, blank
 * lines and Jest's "● test name" header left out, then "Error: ", cut to
 * `max` characters. What a retry notice, a quarantined failure and the job
 * summary show of a failure (the whole text is printed where it counts).
 */
export function failureHead(message: string, max = 200): string {
  const line =
    message
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .map(l => l.trim())
      .find(l => l !== '' && !l.startsWith('●')) ?? '';
  const head = line.replace(/^Error: /, '');
  return head.length > max ? `${head.slice(0, max - 1)}…` : head;
}
