import { defaultVe } from './fixture.js';
import { runSiteSuite } from './site-suite.js';

// site.yml on a Proxmox VE 8 node (PHOENIX_LAB_VE=9: VE 9); site-ve9.test.ts runs the same suite on VE 9.
runSiteSuite(defaultVe());
