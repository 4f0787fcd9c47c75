import type { JobState, OutputImage } from '../../jobs';
import { pngFileName } from '../../file-names';
import { promptStrings } from '../../settings';


/** The sampler's image and SwinIR's ×4 side by side (stacked on a narrow screen), each with its download. */
function Image({ job, image, i }: { readonly job: JobState; readonly image: OutputImage; readonly i: number }) {
  const prompt = promptStrings(job.settings.prompts).join(' | ');
  const name = (upscaled: boolean) => pngFileName(job.settings, { index: i, count: job.images.length, upscaled });
  return (
    <figure className="result-pair">
      <div>
        <img src={image.url} width={256} height={256} alt={`Generated image: ${prompt}`} />
        <a className="button" href={image.url} download={name(false)}>Download PNG {image.width}×{image.height}</a>
      </div>
      {image.sr && (
        <div>
          <img src={image.sr.url} width={512} height={512} alt={`Upscaled image: ${prompt}`} />
          <a className="button" href={image.sr.url} download={name(true)}>Download upscaled PNG {image.sr.width}×{image.sr.height}</a>
        </div>
      )}
    </figure>
  );
}

/** A finished job's images (the sampler's and SwinIR's ×4) with their downloads. */
export function Result({ job }: { readonly job: JobState }) {
  if (job.images.length === 0) return null;
  return (
    <section className="result" aria-label="Result">
      {job.modelLabel && <p className="notice">{job.modelLabel}</p>}
      {job.images.map((image, i) => <Image key={image.url} job={job} image={image} i={i} />)}
    </section>
  );
}
