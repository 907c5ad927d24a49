import FastCiReporter from './FastCiReporter';

export default FastCiReporter;
// Also named, for the ES module entry (dist/reporter/index.mjs) to re-export as its default.
export { FastCiReporter };
export { formatNodeReport } from './format';
export type { ReporterOptions } from './FastCiReporter';
// Which node ran a file this node's Jest was handed (whole-run reporting): for reporters of your own.
export { originOf } from '../origin';
export type { Origin } from '../origin';
