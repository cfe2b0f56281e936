/**
 * The largest body an HR webhook (Standard Webhooks, BambooHR, SCIM) is read with: HR senders batch hundreds of
 * employees, but a megabyte is far beyond any real delivery.
 */
export const webhookBodyBytes = 1024 * 1024;

/**
 * The largest request body the host hands to any function: the largest any of them reads (the webhooks'; the
 * helpdesk fix takes 16 KiB). A handler's own stream limit runs only once the host has received the body, and the
 * Functions host buffers up to 100 MB by default before that, so the host must refuse more itself: in Azure the
 * `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` app setting (infra/app/api.bicep), locally `local/localHost.ts`.
 */
export const hostBodyLimitBytes = webhookBodyBytes;
