/**
 * Generates part of a benchmark estate in a process of its own, so the 10,000 certificates of
 * `report_10k_seconds` are built and signed on every core: `node dist/bench/estate-child.js
 * '<EstateChildRequest JSON>'` prints one JSON line with the number of jobs it wrote.
 */
import { estateSigner, generateEstate, mixedKind } from './estate.js';

export interface EstateChildRequest {
  root: string;
  first: number;
  count: number;
  pki: { technicianKeyPath: string; technicianCertPem: string; caCertPem: string };
}

const request = JSON.parse(process.argv[2] ?? '{}') as EstateChildRequest;
const kinds = Array.from({ length: request.count }, (_, k) => mixedKind(request.first + k));
const jobs = await generateEstate(request.root, await estateSigner(request.pki), kinds, {
  first: request.first,
});
process.stdout.write(JSON.stringify({ jobs: jobs.length }) + '\n');
