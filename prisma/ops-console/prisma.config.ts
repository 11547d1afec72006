import { serviceConfig } from '../config';

export default serviceConfig('ops_console');
