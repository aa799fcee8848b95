/** Every family of the matrix, in the order the issue lists them. */
import type { Family, PointBase } from '../family.js';
import { loneCaller } from './lone-caller.js';

export const families: readonly Family<PointBase>[] = [loneCaller as unknown as Family<PointBase>];
