import { runSiteSuite } from './site-suite.js';

// The site.yml suite on a Proxmox VE 9 node (Debian 13: deb822 sources, apt 3, NVIDIA's debian13 repository), so
// every `npm test` proves site.yml on both versions (issue 14).
if (process.env.PHOENIX_LAB_VE !== '9') runSiteSuite(9);
