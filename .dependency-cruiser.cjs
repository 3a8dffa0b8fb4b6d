/**
 * The house's layering, checked by `npm run lint` (STYLE.md: the layering lives in code, not
 * memory). Arrows point down only: api -> agent -> wipe -> protocol. Type-only imports count too.
 * api/ is the library's public face (package exports): it may use every layer, nothing uses it.
 */
const SIMULATORS = '^protocol/(simulator|line/terminal|zvt/terminal)/';
/** The agent's side of each protocol: what a simulated terminal must never lean on. */
const AGENT_SESSIONS = '^protocol/(line/(session/|driver\\.ts|bulk-read/)|zvt/ecr/)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two files one room with a wall through it.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'protocol-not-up',
      severity: 'error',
      comment: 'protocol/ knows nothing of wiping or of the CLI.',
      from: { path: '^protocol/' },
      to: { path: '^(wipe|agent)/' },
    },
    {
      name: 'wipe-not-agent',
      severity: 'error',
      comment: 'wipe/ knows nothing of yargs, the journal or the workflow.',
      from: { path: '^wipe/' },
      to: { path: '^agent/' },
    },
    {
      name: 'agent-reaches-simulators-through-the-registry',
      severity: 'error',
      comment:
        'Agent code gets a simulated terminal only through the sim: registry (protocol/transport/sim-registry.ts).',
      from: { path: '^agent/' },
      to: { path: SIMULATORS },
    },
    {
      name: 'nothing-imports-api',
      severity: 'error',
      comment: 'api/ is the public face over every layer; no layer leans on it.',
      from: { path: '^(agent|wipe|protocol|bench)/' },
      to: { path: '^api/' },
    },
    {
      name: 'api-reaches-simulators-through-the-registry',
      severity: 'error',
      comment: 'The simulator library wraps the sim: registry, as the CLI does; never a simulator itself.',
      from: { path: '^api/' },
      to: { path: SIMULATORS },
    },
    {
      name: 'wipe-no-simulators',
      severity: 'error',
      from: { path: '^wipe/' },
      to: { path: SIMULATORS },
    },
    {
      name: 'simulator-not-agent-side',
      severity: 'error',
      comment:
        "A simulated terminal is the protocol's reference peer: it must not borrow the agent's session.",
      from: { path: SIMULATORS },
      to: { path: AGENT_SESSIONS },
    },
    {
      name: 'run-not-commands',
      severity: 'error',
      comment: 'agent/commands/ (yargs definitions) lazy-loads agent/run/, never the other way.',
      from: { path: '^agent/(run|workflow|replay|transcript)/' },
      to: { path: '^agent/commands/' },
    },
    {
      name: 'protocols-apart',
      severity: 'error',
      comment: 'Each protocol is a room of its own; what both need lives above them in protocol/.',
      from: { path: '^protocol/line/' },
      to: { path: '^protocol/zvt/' },
    },
    {
      name: 'protocols-apart-zvt',
      severity: 'error',
      from: { path: '^protocol/zvt/' },
      to: { path: '^protocol/line/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
