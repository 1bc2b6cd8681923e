export { readSysctl, writeSysctl, ensureSysctl, sysctlPath } from './sysctl.js';
