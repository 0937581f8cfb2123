#!/usr/bin/env node
// The CLI and its dependencies are bundled into one file (npm run build), so start-up loads one module.
import { run } from '../dist/pyro.js';

await run(import.meta.url);
