declare module '*.css' {
  const text: string;
  export default text;
}

/** Provided by VS Code inside a webview (stubbed by the webview tests). */
declare function acquireVsCodeApi(): {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};
