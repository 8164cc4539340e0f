// Formatting for the dashboard: times, durations, counts and one-line descriptions of events.

/** `14:03:27` in local time. */
export function clock(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  return date.toLocaleTimeString([], {
    hour12: false,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** `850 ms`, `12 s`, `3 m 04 s`, `5 h 12 m`, `2 d 3 h`. */
export function duration(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '–';
  const negative = ms < 0;
  let rest = Math.abs(ms);
  let text;
  if (rest < 1000) text = `${Math.round(rest)} ms`;
  else if (rest < 60_000) text = `${Math.round(rest / 1000)} s`;
  else if (rest < 3_600_000) {
    const m = Math.floor(rest / 60_000);
    rest -= m * 60_000;
    text = `${m} m ${String(Math.floor(rest / 1000)).padStart(2, '0')} s`;
  } else if (rest < 86_400_000) {
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    text = `${hours} h ${String(Math.floor(rest / 60_000)).padStart(2, '0')} m`;
  } else {
    const days = Math.floor(rest / 86_400_000);
    rest -= days * 86_400_000;
    text = `${days} d ${Math.floor(rest / 3_600_000)} h`;
  }
  return negative ? `−${text}` : text;
}

/** `12,345`. */
export function count(n) {
  return n === undefined || n === null ? '–' : Number(n).toLocaleString();
}

/** First characters of an id: enough to tell ids apart, short enough for a table. */
export function shortId(id) {
  return id ? `${String(id).slice(0, 8)}` : '–';
}

/** A ledger customer: a contact id shortened, or `guest` for an anonymous web messaging visitor. */
export function customerLabel(customerId) {
  if (!customerId) return '–';
  if (String(customerId).startsWith('anonymous:')) return 'guest';
  return shortId(customerId);
}

/** A masked address (`********0123`) as `•••0123`. */
export function compactMask(address) {
  return address ? String(address).replace(/\*+/g, '•••') : '';
}

/** A participant as a short label: its purpose and user (ids only). */
function who(participant) {
  if (!participant) return 'someone';
  const user = participant.userId ? ` ${shortId(participant.userId)}` : '';
  return `${participant.purpose ?? 'participant'}${user}`;
}

/** One line about an event, from ids and codes only (never customer text). */
export function describeEvent(event, queueName) {
  switch (event.type) {
    case 'conversation.started':
      return `${event.direction ?? 'unknown'}${event.messageType ? ` ${event.messageType}` : ''}`;
    case 'participant.joined':
      return `${who(event.participant)} joined`;
    case 'participant.left':
      return `${who(event.participant)} left${event.disconnectType ? ` (${event.disconnectType})` : ''}`;
    case 'conversation.transferred': {
      const to = event.to ?? {};
      const target =
        to.kind === 'queue'
          ? `queue ${queueName ?? shortId(to.queueId)}`
          : to.kind === 'user'
            ? `user ${shortId(to.userId)}`
            : to.kind;
      return `${event.transferType} transfer by ${who(event.from)} → ${target}`;
    }
    case 'conversation.wrapup': {
      const code =
        event.codeName ??
        (event.code ? shortId(event.code) : event.codeLookupFailed ? 'code unknown' : 'no code');
      return `${code} · after-call work ${event.afterCallWork}${event.durationSeconds ? ` · ${event.durationSeconds} s` : ''}`;
    }
    case 'conversation.ended':
      return event.durationMs === undefined ? 'ended' : `after ${duration(event.durationMs)}`;
    default:
      return '';
  }
}
