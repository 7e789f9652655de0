/**
 * The webview's side of the protocol in src/core/protocol/webviewProtocol.ts: the ready → init handshake,
 * requests with ids answered by exactly one response, and state kept with setState for the serializer.
 */
import type { ErrorPayload } from '../src/core/protocol/errors';
import type { ExportResponse, HostToWebview, PanelState, PruneResponse, ViewModel, WebviewRequest, WebviewToHost } from '../src/core/protocol/webviewProtocol';
import { PROTOCOL_VERSION, parseHostMessage, reportState, sanitizePanelState } from '../src/core/protocol/webviewProtocol';
import { renderAnalysis } from './analysisApp';
import { renderCheckpoint, renderCheckpointError } from './checkpointApp';
import { comparisonStateOf, renderComparison } from './comparisonApp';
import { setExportSink } from './export/exportSink';
import { clear, h } from './dom';

type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;

export function startVsCodeBridge(root: HTMLElement): void {
  const api = acquireVsCodeApi();
  let saved: PanelState = sanitizePanelState(api.getState());
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: ErrorPayload): void }>();
  let nextId = 1;
  const banner = h('div', { class: 'banner', role: 'status', hidden: true });
  const content = h('div', { class: 'content' });
  root.append(banner, content);
  content.append(h('p', { class: 'muted loading' }, 'Loading…'));

  const post = (m: WebviewToHost): void => api.postMessage(m);
  const save = (patch: Partial<PanelState>): void => {
    saved = { ...saved, ...patch };
    api.setState(saved);
  };

  function request(body: DistributiveOmit<WebviewRequest, 'requestId'>): Promise<unknown> {
    const requestId = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(requestId, { resolve, reject });
      post({ ...body, requestId } as WebviewRequest);
    });
  }

  function showBanner(text: string, kind: 'info' | 'error', withLog = false): void {
    clear(banner);
    banner.hidden = false;
    banner.className = `banner ${kind}`;
    banner.append(h('span', null, text));
    if (withLog) {
      const b = h('vscode-button', { secondary: true }, 'Show Log');
      b.addEventListener('click', () => post({ type: 'showLog' }));
      banner.append(b);
    }
  }

  const fail = (e: ErrorPayload): void => showBanner(e.userMessage, 'error', true);

  setExportSink({
    save: async (format, suggestedName, data) => (await request({ type: 'export', format, suggestedName, data })) as ExportResponse,
    // The report opens where the panel is now: its tab, k, drop mode, sample, fraction.
    report: async (suggestedName) => (await request({ type: 'exportReport', suggestedName, state: reportState(saved) })) as ExportResponse,
  });

  function show(view: ViewModel, state: Partial<PanelState> | undefined): void {
    if (state) saved = sanitizePanelState({ ...saved, ...state });
    banner.hidden = true;
    if (view.kind === 'analysis') {
      const { result, cacheKey } = view;
      renderAnalysis(content, result, {
        state: saved,
        onState: (s) => save({ ...s, restore: cacheKey ? { kind: 'analysis', cacheKey } : null }),
        actions: [{ label: 'Re-run', run: () => { request({ type: 'analyze', path: result.checkpoint.path, rerun: true }).catch(fail); } }],
        onPrune: (k) => {
          request({ type: 'prune', k }).then((body) => {
            const b = body as PruneResponse;
            if (b.written && b.path) showBanner(`Pruned checkpoint written: ${b.path}`, 'info');
          }).catch(fail);
        },
      });
    } else if (view.kind === 'comparison') {
      const restore = { kind: 'comparison' as const, mode: view.mode, title: view.title, runs: view.runs.map((r) => ({ label: r.label, source: r.source, ...(r.epoch !== undefined ? { epoch: r.epoch } : {}) })) };
      renderComparison(content, view, {
        state: comparisonStateOf(saved),
        onState: (s) => save({ drop: s.drop, fraction: s.fraction, diffOnly: s.diffOnly, restore }),
      });
    } else if (view.kind === 'checkpoint') {
      const path = view.summary.path;
      save({ restore: { kind: 'checkpoint', path } });
      renderCheckpoint(content, view.summary, {
        filter: saved.filter,
        onFilter: (filter) => save({ filter }),
        onAnalyze: () => { request({ type: 'analyze', path, rerun: false }).catch(fail); },
        onCompare: () => { request({ type: 'compare', path }).catch(fail); },
      });
    } else {
      renderCheckpointError(content, view.path, view.error, () => post({ type: 'showLog' }));
    }
  }

  window.addEventListener('message', (event: MessageEvent) => {
    const m: HostToWebview | null = parseHostMessage(event.data);
    if (!m) return;
    try {
      switch (m.type) {
        case 'init':
          if (m.protocolVersion !== PROTOCOL_VERSION) {
            fail({ code: 'E_UNSUPPORTED', userMessage: `The extension speaks protocol ${m.protocolVersion}, this panel ${PROTOCOL_VERSION}; reload the window.` });
            return;
          }
          show(m.view, m.state);
          break;
        case 'error':
          clear(content);
          renderCheckpointError(content, '', m.error, () => post({ type: 'showLog' }));
          break;
        case 'progress':
          if (m.fraction !== null && m.fraction >= 1) banner.hidden = true;
          else showBanner(m.fraction === null ? m.label : `${m.label} — ${Math.round(m.fraction * 100)}%`, 'info');
          break;
        case 'response': {
          const p = pending.get(m.inReplyTo);
          pending.delete(m.inReplyTo);
          if (!p) return;
          if (m.ok) p.resolve(m.body);
          else p.reject(m.error ?? { code: 'E_INTERNAL', userMessage: 'The request failed.' });
          break;
        }
      }
    } catch (err) {
      post({ type: 'webviewError', message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
    }
  });
  post({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
}
