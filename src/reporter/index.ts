import FastCiReporter from './FastCiReporter';

export default FastCiReporter;
export { formatNodeReport } from './format';
export type { ReporterOptions } from './FastCiReporter';
