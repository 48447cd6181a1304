// Copyright 2020 Megaport Pty Ltd
//
// Licensed under the Mozilla Public License, Version 2.0 (the
// "License"); you may not use this file except in compliance with
// the License. You may obtain a copy of the License at
//
//       https://mozilla.org/MPL/2.0/
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Package megaport holds the Megaport Go Library. It allows users to orchestrate the creation of Megaport Services.
//
// Before using this library, please ensure you read Megaport's [Terms and Conditions].
//
// The [Megaport API Documentation] is also available online.
//
// [Terms and Conditions]: https://www.megaport.com/legal/global-services-agreement/
// [Megaport API Documentation]: https://dev.megaport.com/
package megaport
