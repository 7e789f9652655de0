/** The file names inside a .vsix (a zip), read with yauzl. */
import yauzl from 'yauzl';

export function vsixEntries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) {
        reject(err ?? new Error(`cannot open ${file}`));
        return;
      }
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** The text of one entry of a .vsix (e.g. 'extension/package.json'). */
export function vsixText(file: string, entry: string): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) {
        reject(err ?? new Error(`cannot open ${file}`));
        return;
      }
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName !== entry) {
          zip.readEntry();
          return;
        }
        zip.openReadStream(e, (e2, stream) => {
          if (e2 || !stream) {
            reject(e2 ?? new Error(`cannot read ${entry}`));
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => reject(new Error(`${file} has no ${entry}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
