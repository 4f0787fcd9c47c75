import { useStudio } from '../../store';

export function Result() {
  const result = useStudio((s) => s.result);
  if (!result) return <section className="result empty">Your image appears here.</section>;
  return (
    <section className="result">
      <img src={result.url} width={256} height={256} alt={`Generated image: ${result.settings.prompt}`} />
      <a className="button" href={result.url} download={`clip-diffusion-${result.settings.seed}.png`}>
        Download PNG
      </a>
    </section>
  );
}
