/** Quick local timing of the lifecycle deriver: `node --import tsx bench/deriver-local.ts [copies]`. */
import { benchDeriver, fixtureFrames } from './deriver.js';

const copies = Number(process.argv[2] ?? 100);
const frames = fixtureFrames(copies);
const result = benchDeriver(frames);
console.log(JSON.stringify(result, null, 2));
