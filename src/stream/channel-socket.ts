/**
 * One WebSocket to one channel, with its heartbeat watchdog. The platform sends a heartbeat about every 30 s;
 * when the socket has been quiet for `pingAfterMs` the client asks for a pong, and when nothing at all arrived for
 * `staleAfterMs` the socket is presumed dead, terminated (no closing handshake to wait for) and reported stale.
 * Any frame counts as a sign of life. The watchdog is a coarse periodic check of the last frame's time rather than
 * a timer re-armed per frame, which would cost more than the frame itself at tens of thousands of frames a second.
 *
 * A check that runs late says the process itself was not running (a busy or paused event loop): frames may be
 * waiting, unread, in the socket. Such a check does not judge; the next one does, after they have been read. Only
 * the server's silence may end a socket, never this process's own stall.
 */
import WebSocket from 'ws';
import { webSocketAgentFor } from '../platform/proxy.js';
import { backgroundTimeout, realTimers, type Timers } from './clock.js';
import { PING_FRAME } from './frames.js';

export interface ChannelSocketOptions {
  /** The channel's `connectUri`, used exactly as given (no token: the channel id is the secret). */
  connectUri: string;
  /** Quiet time after which a ping is sent. */
  pingAfterMs: number;
  /** Quiet time after which the socket is declared stale and terminated. */
  staleAfterMs: number;
  /** Time allowed for the opening handshake. */
  connectTimeoutMs: number;
  /** Every text frame, with its arrival time (epoch ms). */
  onFrame: (text: string, receivedAt: number) => void;
  /** Called once when the socket is gone after having opened, whoever closed it. */
  onClose: (info: SocketCloseInfo) => void;
  /** The clock the watchdog runs on and frames are timed by (default: the system's). */
  timers?: Timers;
}

/** How and when an open socket ended. */
export interface SocketCloseInfo {
  code: number;
  reason: string;
  /** The watchdog terminated it. */
  stale: boolean;
  /** This side closed it on purpose (hand-over, rotation, stop). */
  byUs: boolean;
  /** Epoch ms of the last frame received (or of the opening, if none came). */
  lastFrameAt: number;
  /** Epoch ms the socket opened. */
  openedAt: number;
  /** Epoch ms the close was noticed. */
  closedAt: number;
}

/** A connected WebSocket to a channel, watched for silence. */
export class ChannelSocket {
  lastFrameAt: number;
  readonly openedAt: number;
  private lastPingAt = 0;
  private readonly timers: Timers;
  /** Time between watchdog checks. */
  private readonly tickMs: number;
  private watchdog: unknown;
  private lastCheckAt: number;
  private skippedLateCheck = false;
  private stale = false;
  private byUs = false;
  private closed = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: ChannelSocketOptions,
  ) {
    this.timers = options.timers ?? realTimers;
    this.openedAt = this.timers.now();
    this.lastFrameAt = this.openedAt;
    this.lastCheckAt = this.openedAt;
    ws.on('message', (data) => {
      const receivedAt = this.timers.now();
      this.lastFrameAt = receivedAt;
      options.onFrame(data.toString(), receivedAt);
    });
    ws.on('error', () => {
      // 'close' follows every 'error'; the close handler reports it.
    });
    ws.once('close', (code, reason) => this.finish(code, reason.toString()));
    this.tickMs = Math.max(5, Math.floor(Math.min(options.pingAfterMs, options.staleAfterMs) / 4));
    this.armWatchdog();
  }

  /** Opens a socket to `connectUri`; rejects when the handshake fails or times out. */
  static open(options: ChannelSocketOptions): Promise<ChannelSocket> {
    return new Promise((resolve, reject) => {
      // Through HTTPS_PROXY (wss) or HTTP_PROXY (ws) unless NO_PROXY names the host: a CONNECT tunnel.
      const agent = webSocketAgentFor(options.connectUri);
      const ws = new WebSocket(options.connectUri, {
        handshakeTimeout: options.connectTimeoutMs,
        perMessageDeflate: false,
        ...(agent ? { agent } : {}),
      });
      const fail = (error: Error): void => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(error);
      };
      ws.once('error', (error) => fail(error));
      ws.once('unexpected-response', (_request, response) => {
        fail(new Error(`WebSocket handshake answered HTTP ${response.statusCode}`));
      });
      ws.once('close', (code) => fail(new Error(`WebSocket closed during the handshake (code ${code})`)));
      ws.once('open', () => {
        ws.removeAllListeners();
        resolve(new ChannelSocket(ws, options));
      });
    });
  }

  /** True until the socket has closed. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Asks the server for a pong now (a sign of life), whatever the watchdog's schedule. */
  ping(): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    this.lastPingAt = this.timers.now();
    this.ws.send(PING_FRAME);
  }

  /** Closes the socket on purpose, with the closing handshake. */
  close(code = 1000, reason = 'switchboard: closing'): void {
    if (this.closed) return;
    this.byUs = true;
    this.ws.close(code, reason);
    // A peer that never answers the closing handshake must not keep the socket alive.
    backgroundTimeout(this.timers, () => this.ws.terminate(), 2000);
  }

  /** Drops the socket at once, on purpose. */
  terminate(): void {
    if (this.closed) return;
    this.byUs = true;
    this.ws.terminate();
  }

  private armWatchdog(): void {
    this.watchdog = backgroundTimeout(this.timers, () => this.check(), this.tickMs);
  }

  private check(): void {
    const now = this.timers.now();
    // Late by more than a whole tick: this process was stalled, and what the server sent meanwhile may be unread.
    // Never twice in a row, though: a process late at every check must still notice a dead server.
    const late = now - this.lastCheckAt > 2 * this.tickMs && !this.skippedLateCheck;
    this.skippedLateCheck = late;
    this.lastCheckAt = now;
    this.armWatchdog();
    if (late) return;
    const quiet = now - this.lastFrameAt;
    if (quiet >= this.options.staleAfterMs) {
      this.stale = true;
      this.timers.clearTimeout(this.watchdog);
      this.ws.terminate();
      return;
    }
    if (quiet >= this.options.pingAfterMs && now - this.lastPingAt >= this.options.pingAfterMs) {
      this.lastPingAt = now;
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(PING_FRAME);
    }
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.timers.clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.options.onClose({
      code,
      reason,
      stale: this.stale,
      byUs: this.byUs && !this.stale,
      lastFrameAt: this.lastFrameAt,
      openedAt: this.openedAt,
      closedAt: this.timers.now(),
    });
  }
}
