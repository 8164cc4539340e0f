#!/usr/bin/env node
import { installCrashHandlers } from './crash.js';
import { run } from './main.js';

installCrashHandlers();
await run();
