import { AdminApiError, type ImportAccepted } from '@dropgate/admin-client';

/**
 * Uploads a file for the import job with a real progress bar: fetch cannot report how much of a request body is
 * sent, XMLHttpRequest can. The admin stages the bytes as they arrive and answers with the job that imports them
 * (whose progress the page then follows, in lines).
 */
export function importWithProgress(
  campaignId: string,
  file: Blob,
  contentType: string,
  token: string,
  onProgress: (sent: number, total: number) => void,
): Promise<ImportAccepted> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/admin/v1/campaigns/${encodeURIComponent(campaignId)}/codes/import`);
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size));
    xhr.addEventListener('error', () => reject(new Error('the import could not be sent (network error)')));
    xhr.addEventListener('load', () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as ImportAccepted);
      const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      reject(new AdminApiError(xhr.status, error?.code ?? `http_${xhr.status}`, error?.message ?? xhr.statusText));
    });
    xhr.send(file);
  });
}
