/**
 * Taking an action proposal, for the ingest edge: this entry point loads the action catalog and
 * the ledger's writes, not the rest of the domain (workers' rules and the provider connectors).
 */
export { ACTION_REJECTIONS, ActionProposal } from "./action-catalog.ts";
export { type ProposeResult, proposeAction } from "./actions.ts";
