export async function hello(name: string): Promise<string> { return `hi ${name}`; }
