export default async function globalTeardown() {
  await globalThis.__temporalServer?.stop();
}
