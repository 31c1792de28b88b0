import { fixtureSuite, registerFixtureCases } from '../nvidia_run/fixture-runner.js';

// pct_push against captured outputs of pct on a node: test/modules/pct_push/cases/*.json.
await registerFixtureCases('pct_push');
fixtureSuite.run();
