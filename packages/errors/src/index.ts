export {
  TsnetError,
  httpStatusOf,
  isTsnetError,
  notFound,
  invalid,
  conflict,
  forbidden,
  unavailable,
  internal,
  runAll,
} from './error.js';
export type { ErrorKind, TsnetErrorOptions } from './error.js';
