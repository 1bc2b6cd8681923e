// The tsnet CLI: a Docker Engine API client with Docker's flags, plus `tsnet debug`.
export { buildProgram, main, reportError } from './program.js';
export { ApiClient, ApiError, ConnectError, socketPathOf, API_VERSION, DEFAULT_HOST } from './client.js';
export { parseTemplate, formatValue, TemplateError } from './template.js';
export type { Template } from './template.js';
export * from './parse/index.js';
