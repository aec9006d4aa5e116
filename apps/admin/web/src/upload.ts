import { AdminApiError, type ImportReportView } from '@dropgate/admin-client';

/**
 * Sends a file to the streamed import with a real progress bar: fetch cannot report how much of a request body is
 * sent, XMLHttpRequest can. The admin reads the body line by line and writes it in batches as it arrives, so the
 * bytes sent follow the codes imported (the last batch is written before the answer).
 */
export function importWithProgress(
  campaignId: string,
  file: Blob,
  contentType: string,
  token: string,
  onProgress: (sent: number, total: number) => void,
): Promise<ImportReportView> {
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
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as ImportReportView);
      const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      reject(new AdminApiError(xhr.status, error?.code ?? `http_${xhr.status}`, error?.message ?? xhr.statusText));
    });
    xhr.send(file);
  });
}
