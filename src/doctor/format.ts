/** The report as people read it (a checklist with the fix under each problem) and as scripts read it (JSON). */
import type { CheckStatus, DoctorReport } from './types.js';

const MARK: Record<CheckStatus, string> = { pass: '[ok]  ', warn: '[warn]', fail: '[FAIL]', skip: '[skip]' };
const WIDTH = 100;

/** Wraps text at word boundaries to `width`, every line after the first indented by `indent`. */
function wrap(text: string, indent: string, width = WIDTH): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join(`\n${indent}`);
}

/** The checklist: one entry per check, its detail, and for a warning or failure the fix. */
export function formatReport(report: DoctorReport): string {
  const out: string[] = [];
  const target = report.region
    ? `region ${report.region.name === 'custom' ? report.region.apiBaseUrl : report.region.name}, client ${report.clientId}`
    : 'settings';
  out.push(`switchboard doctor — ${target}`, '');
  for (const check of report.checks) {
    const indent = ' '.repeat(9);
    out.push(`${MARK[check.status]}  ${check.title}`);
    out.push(`${indent}${wrap(check.detail, indent)}`);
    if (check.fix && (check.status === 'fail' || check.status === 'warn')) {
      out.push(`${indent}fix: ${wrap(check.fix, `${indent}     `)}`);
    }
  }
  const { pass, warn, fail, skip } = report.summary;
  out.push(
    '',
    `${pass} passed, ${warn} warning(s), ${fail} failed, ${skip} skipped; ${report.requests} REST request(s).`,
  );
  for (const channel of report.leftBehind) {
    out.push(
      `Left behind: notification channel ${channel.id}${channel.expires ? ` (expires ${channel.expires})` : ''}.`,
    );
  }
  out.push(
    fail > 0
      ? 'Blockers found: fix the [FAIL] items, then run doctor again.'
      : 'No blockers: `switchboard listen` (or `run`) can start.',
  );
  return `${out.join('\n')}\n`;
}

/** The stable JSON document (`version` says its shape). */
export function reportJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
