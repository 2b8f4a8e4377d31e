export async function runHandoverScenario() {
  throw new Error('not yet');
}
