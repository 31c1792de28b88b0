import { fixtureSuite, registerFixtureCases } from './fixture-runner.js';

// nvidia_run against captured outputs: test/modules/nvidia_run/cases/*.json.
await registerFixtureCases('nvidia_run');
fixtureSuite.run();
