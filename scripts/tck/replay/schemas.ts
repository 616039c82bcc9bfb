import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';

/**
 * Validators for the Dataspace Protocol 2025-1 JSON schemas shipped in ../shared/specs (the workspace's
 * shared/ folder beside the project, as on CI). Some transfer schemas reference "#definitions/…" without
 * the slash; those references are repaired on load.
 */
export const SPECS_DIR = new URL('../../../../shared/specs/', import.meta.url).pathname;
export const DSP_DIR = join(SPECS_DIR, 'dsp-2025-1');

let ajv: Ajv2019 | undefined;

function loadAll(): Ajv2019 {
  const instance = new Ajv2019({ strict: false, allErrors: true });
  addFormats.default(instance);
  for (const folder of ['common', 'catalog', 'negotiation', 'transfer']) {
    for (const file of readdirSync(join(DSP_DIR, folder)).filter((f) => f.endsWith('-schema.json'))) {
      const text = readFileSync(join(DSP_DIR, folder, file), 'utf8').replaceAll('#definitions/', '#/definitions/');
      instance.addSchema(JSON.parse(text));
    }
  }
  return instance;
}

/** Errors of `value` against the schema `folder/file` (e.g. "catalog/catalog-schema.json"); empty when valid. */
export function dspSchemaErrors(schema: string, value: unknown): string[] {
  ajv ??= loadAll();
  const validate = ajv.getSchema(`https://w3id.org/dspace/2025/1/${schema}`);
  if (!validate) throw new Error(`No DSP schema ${schema}`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}

/**
 * The schema the TCK validates each message type against, by its compact @type (README §6.1). Catalog,
 * transfer error, completion, suspension and termination messages are not validated by the TCK.
 */
export const SCHEMA_OF: Record<string, string> = {
  CatalogRequestMessage: 'catalog/catalog-request-message-schema.json',
  DatasetRequestMessage: 'catalog/dataset-request-message-schema.json',
  Catalog: 'catalog/catalog-schema.json',
  Dataset: 'catalog/dataset-schema.json',
  ContractRequestMessage: 'negotiation/contract-request-message-schema.json',
  ContractOfferMessage: 'negotiation/contract-offer-message-schema.json',
  ContractAgreementMessage: 'negotiation/contract-agreement-message-schema.json',
  ContractAgreementVerificationMessage: 'negotiation/contract-agreement-verification-message-schema.json',
  ContractNegotiationEventMessage: 'negotiation/contract-negotiation-event-message-schema.json',
  ContractNegotiationTerminationMessage: 'negotiation/contract-negotiation-termination-message-schema.json',
  ContractNegotiation: 'negotiation/contract-negotiation-schema.json',
  ContractNegotiationError: 'negotiation/contract-negotiation-error-schema.json',
  TransferRequestMessage: 'transfer/transfer-request-message-schema.json',
  TransferStartMessage: 'transfer/transfer-start-message-schema.json',
  TransferProcess: 'transfer/transfer-process-schema.json',
};

/** What the TCK leaves unvalidated, checked too in a strict replay (the project's conformance run). */
export const STRICT_SCHEMA_OF: Record<string, string> = {
  ...SCHEMA_OF,
  CatalogError: 'catalog/catalog-error-schema.json',
  TransferError: 'transfer/transfer-error-schema.json',
  TransferCompletionMessage: 'transfer/transfer-completion-message-schema.json',
  TransferSuspensionMessage: 'transfer/transfer-suspension-message-schema.json',
  TransferTerminationMessage: 'transfer/transfer-termination-message-schema.json',
};
