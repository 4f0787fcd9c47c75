import type { JobState, OutputImage } from '../../jobs';
import { promptStrings } from '../../settings';

const fileName = (job: JobState, i: number, suffix: string) => `clip-diffusion-${job.settings.seed}${job.images.length > 1 ? `-${i + 1}` : ''}${suffix}.png`;

function Image({ job, image, i }: { readonly job: JobState; readonly image: OutputImage; readonly i: number }) {
  const prompt = promptStrings(job.settings.prompts).join(' | ');
  return (
    <figure>
      <img src={image.url} width={256} height={256} alt={`Generated image: ${prompt}`} />
      <a className="button" href={image.url} download={fileName(job, i, '')}>Download PNG {image.width}×{image.height}</a>
      {image.sr && (
        <>
          <img src={image.sr.url} width={512} height={512} alt={`Upscaled image: ${prompt}`} />
          <a className="button" href={image.sr.url} download={fileName(job, i, '-x4')}>Download upscaled PNG {image.sr.width}×{image.sr.height}</a>
        </>
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
