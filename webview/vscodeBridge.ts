/**
 * The webview's side of the protocol in src/core/protocol/webviewProtocol.ts: the ready → init handshake,
 * requests with ids answered by exactly one response, and state kept with setState for the serializer.
 */
import * as l10n from '@vscode/l10n';
import type { ErrorPayload } from '../src/core/protocol/errors';
import type { HostToWebview, PanelState, ReplyOf, RequestBody, RequestType, ViewModel, WebviewRequest, WebviewToHost } from '../src/core/protocol/webviewProtocol';
import { PROTOCOL_VERSION, parseHostMessage, reportState, sanitizePanelState } from '../src/core/protocol/webviewProtocol';
import { renderAnalysis } from './analysisApp';
import { renderCheckpoint, renderCheckpointError } from './checkpointApp';
import { comparisonStateOf, renderComparison } from './comparisonApp';
import { setExportSink } from './export/exportSink';
import { clear, h } from './dom';

export function startVsCodeBridge(root: HTMLElement): void {
  const api = acquireVsCodeApi();
  let saved: PanelState = sanitizePanelState(api.getState());
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: ErrorPayload): void }>();
  let nextId = 1;
  const banner = h('div', { class: 'banner', role: 'status', hidden: true });
  const content = h('div', { class: 'content' });
  root.append(banner, content);
  content.append(h('p', { class: 'muted loading' }, l10n.t('Loading…')));

  const post = (m: WebviewToHost): void => api.postMessage(m);
  const save = (patch: Partial<PanelState>): void => {
    saved = { ...saved, ...patch };
    api.setState(saved);
  };

  /** Send a request; its promise resolves with the reply body its type has in the protocol's `WebviewApi`. */
  function request<T extends RequestType>(body: RequestBody<T>): Promise<ReplyOf<T>> {
    const requestId = nextId++;
    return new Promise((resolve, reject) => {
      // The response to this id answers this request, so its body is this request type's reply.
      pending.set(requestId, { resolve: resolve as (v: unknown) => void, reject });
      post({ ...body, requestId } as unknown as WebviewRequest);
    });
  }

  function showBanner(text: string, kind: 'info' | 'error', withLog = false): void {
    clear(banner);
    banner.hidden = false;
    banner.className = `banner ${kind}`;
    banner.append(h('span', null, text));
    if (withLog) {
      const b = h('vscode-button', { secondary: true }, l10n.t('Show Log'));
      b.addEventListener('click', () => post({ type: 'showLog' }));
      banner.append(b);
    }
  }

  const fail = (e: ErrorPayload): void => showBanner(e.userMessage, 'error', true);

  setExportSink({
    save: (format, suggestedName, data) => request<'export'>({ type: 'export', format, suggestedName, data }),
    // The report opens where the panel is now: its tab, k, drop mode, sample, fraction.
    report: (suggestedName) => request<'exportReport'>({ type: 'exportReport', suggestedName, state: reportState(saved) }),
  });

  function show(view: ViewModel, state: Partial<PanelState> | undefined): void {
    if (state) saved = sanitizePanelState({ ...saved, ...state });
    banner.hidden = true;
    if (view.kind === 'analysis') {
      const { result, cacheKey } = view;
      renderAnalysis(content, result, {
        state: saved,
        onState: (s) => save({ ...s, restore: cacheKey ? { kind: 'analysis', cacheKey } : null }),
        actions: [{ label: l10n.t('Re-run'), run: () => { request<'analyze'>({ type: 'analyze', path: result.checkpoint.path, rerun: true }).catch(fail); } }],
        onPrune: (k) => {
          request<'prune'>({ type: 'prune', k }).then((b) => {
            if (b.written && b.path) showBanner(l10n.t('Pruned checkpoint written: {0}', b.path), 'info');
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
        onAnalyze: () => { request<'analyze'>({ type: 'analyze', path, rerun: false }).catch(fail); },
        onCompare: () => { request<'compare'>({ type: 'compare', path }).catch(fail); },
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
            fail({ code: 'E_UNSUPPORTED', userMessage: l10n.t`The extension speaks protocol ${m.protocolVersion}, this panel ${PROTOCOL_VERSION}; reload the window.` });
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
          else p.reject(m.error ?? { code: 'E_INTERNAL', userMessage: l10n.t('The request failed.') });
          break;
        }
      }
    } catch (err) {
      post({ type: 'webviewError', message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
    }
  });
  post({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
}
