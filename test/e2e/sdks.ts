/**
 * The openai SDK versions the end-to-end suite runs against, as npm aliases: `openai` (v6),
 * `openai4` and `openai7`. By default the two that support Node 20; `OPENAI_UNDER_TEST` picks
 * others, e.g. `OPENAI_UNDER_TEST=openai7` under Node 22 (`npm run test:compat:openai7`).
 */
import type OpenAI from 'openai';

/** Every version is typed as v6: the suite uses only what v4 to v7 have in common. */
export type OpenAIConstructor = typeof OpenAI;

// Literal specifiers, so that each alias is loaded only when it is selected.
const loaders: Record<string, () => Promise<[{ default: unknown }, { VERSION: string }]>> = {
  openai: () => Promise.all([import('openai'), import('openai/version')]),
  openai4: () => Promise.all([import('openai4'), import('openai4/version')]),
  openai7: () => Promise.all([import('openai7'), import('openai7/version')]),
};

async function load(alias: string): Promise<[string, OpenAIConstructor]> {
  const loader = loaders[alias];
  if (loader === undefined) throw new Error(`OPENAI_UNDER_TEST: unknown alias ${alias}; use ${Object.keys(loaders).join(', ')}`);
  // openai@7 declares Node >= 22; a pass on an older Node would prove nothing about supported use.
  if (alias === 'openai7' && Number(process.versions.node.split('.')[0]) < 22) {
    throw new Error(`openai@7 needs Node 22 or later, this is ${process.version}; run npm run test:compat:openai7`);
  }
  const [{ default: OpenAISDK }, { VERSION }] = await loader();
  return [`openai@${VERSION} on Node ${process.versions.node}`, OpenAISDK as OpenAIConstructor];
}

const selected = (process.env.OPENAI_UNDER_TEST ?? 'openai,openai4').split(',').map((alias) => alias.trim()).filter(Boolean);

/** `[label, OpenAI]` pairs for `describe.each`, e.g. `['openai@6.49.0 on Node 20.20.2', OpenAI]`. */
export const sdksUnderTest: [string, OpenAIConstructor][] = await Promise.all(selected.map(load));
