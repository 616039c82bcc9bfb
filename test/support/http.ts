/** The JSON body of a response, loosely typed for assertions. */
export async function jsonOf(response: Response): Promise<any> {
  return response.json();
}
